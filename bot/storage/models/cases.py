"""A merchant's cases: guided handling flows and joint cases with their members and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    GuideStatus,
    JointStatus,
    MemberState,
)
from bot.storage.models.reports import Buyer
from bot.storage.models.shops import Shop


class GuideCase(Model):
    """A merchant's walk through a handling flow (or the 店铺体检), saved after every
    answer: the current step, the path taken (for 返回), the evidence checklist, and
    the reminder of a step that waits on time."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="guide_cases", on_delete=fields.RESTRICT
    )
    scenario = fields.CharField(max_length=32)
    platform = fields.CharField(max_length=16, null=True)
    buyer_key = fields.CharField(max_length=64, null=True)
    order_no = fields.CharField(max_length=64, null=True)
    step = fields.CharField(max_length=64)
    trail: fields.Field[list[str]] = fields.JSONField(default=list)  # ["scenario:step", …] already passed
    evidence: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # item → "done" | "skipped"
    # question → chosen answer; audit item → bool
    answers: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(
        GuideStatus, description="bot.states.GuideStatus", max_length=8, default=GuideStatus.open, db_index=True
    )
    # The chat whose short replies drive this case, until session_until.
    chat = fields.CharField(max_length=128, null=True)
    session_until = fields.DatetimeField(null=True)
    wait_step = fields.CharField(max_length=100, null=True)
    waiting_since = fields.DatetimeField(null=True)
    remind_at = fields.DatetimeField(null=True, db_index=True)
    reminders_sent = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    closed_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "guide_case"


class JointCase(Model):
    """Shops hit by the same buyer complaining together. One per buyer: the unique
    constraint is what makes simultaneous reports open it once."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="joint_cases", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(
        JointStatus, description="bot.states.JointStatus", max_length=8, default=JointStatus.collecting
    )
    status_changes = fields.IntField(default=0)
    status_at = fields.DatetimeField(null=True)
    remind_at = fields.DatetimeField(null=True, db_index=True)
    # 已解决 and 被驳回 take effect when a second joined shop confirms within 3 days.
    proposed_status = fields.CharField(max_length=8, null=True)
    proposed_by = fields.IntField(null=True)  # the proposing shop
    proposed_at = fields.DatetimeField(null=True)
    # Status messages to members are batched: at most one per case per hour.
    unsent_changes: fields.Field[list[str]] = fields.JSONField(default=list, db_default="[]")
    notified_at = fields.DatetimeField(null=True)
    reopened = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "joint_case"
        unique_together = (("buyer",),)


class JointMember(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[JointCase] = fields.ForeignKeyField(
        "models.JointCase", related_name="members", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="joint_memberships", on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(
        MemberState, description="bot.states.MemberState", max_length=8, default=MemberState.invited
    )
    invited_at = fields.DatetimeField()
    joined_at = fields.DatetimeField(null=True)
    # The shop's name when it joined: what the letter says, whatever it renames itself to.
    joined_name = fields.CharField(max_length=64, null=True)

    if TYPE_CHECKING:
        case_id: int
        shop_id: int

    class Meta:
        table = "joint_member"
        unique_together = (("case", "shop"),)


class JointEvidence(Model):
    """A participant's evidence: a picture (stored once under its SHA-256 in the data
    folder) or chat-record text."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[JointCase] = fields.ForeignKeyField(
        "models.JointCase", related_name="evidence", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="joint_evidence", on_delete=fields.RESTRICT
    )
    description = fields.TextField()
    sha256 = fields.CharField(max_length=64)  # of the picture, or of the text for text-only evidence
    file_name = fields.CharField(max_length=80, null=True)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        case_id: int
        shop_id: int

    class Meta:
        table = "joint_evidence"
        unique_together = (("case", "sha256"),)
