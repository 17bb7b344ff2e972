"""Appeals against a listing and what reporting shops add to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    AppealState,
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

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "appeal"


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
