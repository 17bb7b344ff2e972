"""Buyers and the reports shops file on them: the shared blacklist itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    ReportState,
)
from bot.storage.models.shops import Shop


class Buyer(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    buyer_key = fields.CharField(max_length=64)  # normalised id (bot.identity.normalise_buyer_id)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Unused since alerts are per level (the Alert rows, migration 0010); kept because
    # dropping a column rebuilds the table on SQLite.
    alerted = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "buyer"
        unique_together = (("platform", "buyer_key"),)


class Report(Model):
    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="reports", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="reports", on_delete=fields.RESTRICT, db_index=True
    )
    category = fields.CharField(max_length=32)
    order_no = fields.CharField(max_length=64, null=True)
    amount_fen = fields.BigIntField(null=True)
    description = fields.TextField(default="")
    # Keyed hashes (bot.identity.Fingerprinter) and display masks; never the clear value.
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    phone_mask = fields.CharField(max_length=16, null=True)
    address_hash = fields.CharField(max_length=64, null=True, db_index=True)
    address_mask = fields.CharField(max_length=64, null=True)
    # What makes two reports "the same report": the order number when given, else the
    # category. The unique constraint below is what makes a repeated report idempotent,
    # also across bot processes sharing PostgreSQL.
    dedup_key = fields.CharField(max_length=80)
    # Indexed: the digests and charts ask for the reports of a time window.
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Only active reports count; the others are kept as the record of what happened.
    state = fields.CharEnumField(
        ReportState,
        description="bot.states.ReportState",
        max_length=12,
        default=ReportState.active,
        db_default="active",
    )
    retracted_at = fields.DatetimeField(null=True)
    # Filed by a shop whose reports on this buyer were removed on appeal: shown, but it
    # does not count until a 版主 accepts it (ReviewHold).
    held = fields.BooleanField(default=False, db_default=False)

    if TYPE_CHECKING:
        shop_id: int
        buyer_id: int

    class Meta:
        table = "report"
        unique_together = (("shop", "buyer", "dedup_key"),)


class ReviewHold(Model):
    """A shop whose reports on a buyer a 版主 removed on appeal: its further reports on that
    buyer are held (filed, shown, not counted) until a 版主 accepts one."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="review_holds", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="review_holds", on_delete=fields.RESTRICT
    )
    held_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by = fields.CharField(max_length=128, null=True)

    if TYPE_CHECKING:
        shop_id: int
        buyer_id: int

    class Meta:
        table = "review_hold"
        unique_together = (("shop", "buyer"),)


class ReportEvidence(Model):
    """What a report rests on, by its SHA-256 only: the screenshot a report was filed from
    (or replied to). The picture itself is not kept: it holds the buyer's phone number and
    address in clear; the merchant keeps it, and its hash proves which one it was."""

    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "models.Report", related_name="evidence", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)  # "screenshot"
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        report_id: int

    class Meta:
        table = "report_evidence"
        unique_together = (("report", "sha256"),)
