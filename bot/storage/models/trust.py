"""版主, trusted groups, and the decision log of every change to what counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    DecisionKind,
)
from bot.storage.models.reports import Buyer, Report
from bot.storage.models.shops import Shop


class Moderator(Model):
    """A 版主 appointed by a superuser (the SUPERUSERS setting are 版主 too)."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, unique=True)
    added_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderator"


class TrustedGroup(Model):
    """A group a 版主 trusts: its owner and admins may verify its members' shops."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(unique=True)
    trusted_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_group"


class Decision(Model):
    """Every change to the pool, with the verdict it produced: who listed or retracted
    what, and when. The answer to "why is this buyer on the list?"."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DecisionKind, description="bot.states.DecisionKind", max_length=16)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="decisions", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="decisions", on_delete=fields.RESTRICT
    )
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "models.Report", related_name="decisions", on_delete=fields.RESTRICT
    )
    level_before = fields.CharField(max_length=8)
    level_after = fields.CharField(max_length=8)
    score_after = fields.IntField()
    # Who decided (a 版主's account for moderation; None: the shop's own report) and why.
    actor = fields.CharField(max_length=128, null=True)
    reason = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    if TYPE_CHECKING:
        shop_id: int
        buyer_id: int
        report_id: int

    class Meta:
        table = "decision"
