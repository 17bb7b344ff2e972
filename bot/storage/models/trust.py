"""版主, trusted groups, and the decision log of every change to what counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import DecisionKind, TrustAction, VouchEnd
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


class Vouch(Model):
    """Someone vouched for a shop: a trusted group's owner or admin, in that group, or a
    版主. A vouch is for one shop name on one platform; it ends when the voucher takes it
    back, the voucher is withdrawn, the group loses its trust, or the shop renames. A shop
    is verified while at least one vouch stands."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="vouches", on_delete=fields.RESTRICT
    )
    voucher = fields.CharField(max_length=128, db_index=True)
    group_id = fields.BigIntField(null=True)  # where they vouched; None: a 版主 in private chat
    by_moderator = fields.BooleanField(default=False)
    # What was vouched for: the shop's platform and folded name at the time.
    platform = fields.CharField(max_length=16)
    name_key = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(db_index=True)
    ended_at = fields.DatetimeField(null=True)
    ended_why = fields.CharEnumField(VouchEnd, description="bot.states.VouchEnd", max_length=24, null=True)
    ended_by = fields.CharField(max_length=128, null=True)
    # When the 版主 were told of it (one batched notice a day).
    notified_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "vouch"


class WithdrawnVoucher(Model):
    """A group admin a 版主 no longer lets vouch: their standing vouches ended with it."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, unique=True)
    withdrawn_by = fields.CharField(max_length=128)
    reason = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()

    class Meta:
        table = "withdrawn_voucher"


class TrustDecision(Model):
    """The trust log: every vouch, withdrawal, ban, hold, release and reopening, with who
    made it. (Changes of a buyer's level are in Decision, with the level before and after.)"""

    id = fields.IntField(primary_key=True)
    action = fields.CharEnumField(TrustAction, description="bot.states.TrustAction", max_length=24)
    actor = fields.CharField(max_length=128)
    shop_id = fields.IntField(null=True)
    account = fields.CharField(max_length=128, null=True)
    group_id = fields.BigIntField(null=True)
    buyer_id = fields.IntField(null=True)
    appeal_id = fields.IntField(null=True)
    report_id = fields.IntField(null=True)
    detail = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "trust_decision"
