"""Each group's own rules: its allowlist and the log of its setting changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.storage.models.reports import Buyer


class GroupAllowlist(Model):
    """A buyer a group has allowed (/设置 放行): never alerted to that group."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField()
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="allowed_in", on_delete=fields.RESTRICT
    )
    reason = fields.CharField(max_length=200)
    added_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "group_allowlist"
        unique_together = (("group_id", "buyer"),)


class GroupSettingChange(Model):
    """Every change of a group's own rules, with who made it."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(db_index=True)
    actor = fields.CharField(max_length=128)
    setting = fields.CharField(max_length=16)
    before = fields.CharField(max_length=200, null=True)
    after = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "group_setting_change"
