"""Appeals against a listing and what reporting shops add to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    AppealState,
    StatementKind,
)
from bot.storage.models.reports import Buyer
from bot.storage.models.shops import Shop


class Appeal(Model):
    """Someone disputes a buyer's listing (DESIGN.md §7). While it is open the buyer is
    marked and not alerted; a 版主 decides."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="appeals", on_delete=fields.RESTRICT, db_index=True
    )
    appellant = fields.CharField(max_length=128)  # a chat account, or web:<address>
    reason = fields.TextField()
    state = fields.CharEnumField(
        AppealState, description="bot.states.AppealState", max_length=8, default=AppealState.open, db_index=True
    )
    # The buyer's id while the appeal is open, None after: unique, so a buyer has one
    # open appeal however many arrive at once.
    open_buyer = fields.IntField(null=True, unique=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.CharField(max_length=128, null=True)
    decision_note = fields.TextField(null=True)
    # Until when the buyer's new 高风险 alerts wait (a bounded time: an appeal never
    # silences alerts for long, and never a crossing into 极高风险).
    hold_until = fields.DatetimeField(null=True)
    # When the 版主 were told (new appeals go out as one notice at most every hour).
    notified_at = fields.DatetimeField(null=True)
    reopened = fields.IntField(default=0, db_default=0)

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "appeal"


class AppealStatement(Model):
    """Another appellant's words on an appeal: joined to the open one (one open appeal per
    buyer, every word seen by the 版主), or new evidence after a decision, which a 版主 may
    reopen the appeal for."""

    id = fields.IntField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="statements", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(StatementKind, description="bot.states.StatementKind", max_length=8)
    appellant = fields.CharField(max_length=128, db_index=True)
    reason = fields.TextField()
    # SHA-256 of the pictures sent with it, stored in the evidence folder.
    pictures: fields.Field[list[str]] = fields.JSONField(default=list, db_default="[]")
    created_at = fields.DatetimeField(db_index=True)
    notified_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        appeal_id: int

    class Meta:
        table = "appeal_statement"


class AppealEvidence(Model):
    """What a reporting shop adds to an appeal (/补充): text or a picture."""

    id = fields.IntField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="evidence", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="appeal_evidence", on_delete=fields.RESTRICT
    )
    description = fields.TextField()
    sha256 = fields.CharField(max_length=64)
    file_name = fields.CharField(max_length=80, null=True)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        appeal_id: int
        shop_id: int

    class Meta:
        table = "appeal_evidence"
        unique_together = (("appeal", "sha256"),)
