"""Shops and the chat accounts that speak for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    AccountRole,
)


class Shop(Model):
    """One real shop, however many chat accounts speak for it (ShopAccount)."""

    id = fields.IntField(primary_key=True)
    # The chat account that bound the shop, e.g. "qq:12345": where the shop's private
    # messages go. Every account of the shop (this one too) is a ShopAccount.
    owner = fields.CharField(max_length=128, unique=True)
    platform = fields.CharField(max_length=16)
    name = fields.CharField(max_length=64)
    # The name folded (case, width): unique per platform, so that a second account cannot
    # pass for the same shop under the same name.
    name_key = fields.CharField(max_length=64, default="", db_default="")
    # The QQ group the owner last bound or reported from: where a private message to
    # them that cannot be delivered is posted instead, with an @ (DESIGN.md §5).
    group_id = fields.BigIntField(null=True)
    # Vouched for by a trusted group's owner or admin, or by a 版主: only verified shops'
    # reports with an order number count towards 高风险 and above (DESIGN.md §7).
    verified_at = fields.DatetimeField(null=True)
    verified_by = fields.CharField(max_length=128, null=True)
    verified_in = fields.BigIntField(null=True)  # the trusted group; None: by a 版主 elsewhere
    # Who the verification rests on, from the shop's standing vouches (the Vouch rows):
    # "m" for a 版主, "<voucher>@<group>" for a group admin, comma-separated. The verdict
    # needs two independent roots before a buyer is 高风险 (DESIGN.md §7).
    roots = fields.CharField(max_length=500, default="", db_default="")
    # Banned by a 版主: its reports are suspended, it cannot report or join cases.
    banned_at = fields.DatetimeField(null=True)
    banned_by = fields.CharField(max_length=128, null=True)
    ban_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shop"
        unique_together = (("platform", "name_key"),)


class ShopAccount(Model):
    """A chat account speaking for a shop: its owner or a staff member. One shop per
    account; everything an account files is its shop's."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, unique=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="accounts", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(AccountRole, description="bot.states.AccountRole", max_length=8)
    added_by = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "shop_account"


class FormerShopAccount(Model):
    """An account that once spoke for a shop and was removed from it: while that shop is
    banned, the account cannot bind a new one (a ban covers the shop's accounts)."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, db_index=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="former_accounts", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(AccountRole, description="bot.states.AccountRole", max_length=8)
    removed_by = fields.CharField(max_length=128)
    removed_at = fields.DatetimeField()

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "former_shop_account"


class ClueLookupDay(Model):
    """How many phone and address lookups (/查 手机:…, the API's phone and address fields)
    a shop made on one day of Asia/Shanghai: stored, so that the allowance holds across
    restarts and is shared by every bot process and the web API."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="clue_lookups", on_delete=fields.CASCADE
    )
    day = fields.CharField(max_length=10)  # YYYY-MM-DD, Asia/Shanghai
    used = fields.IntField(default=0)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "clue_lookup_day"
        unique_together = (("shop", "day"),)
