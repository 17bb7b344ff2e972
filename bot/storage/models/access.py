"""Credentials of the HTTP front door: API keys and one-time login links, as digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.storage.models.shops import Shop


class ApiKey(Model):
    """A shop's key for the HTTP API (/令牌). Only its SHA-256 is kept, the key itself
    is shown once. One per shop: rotating replaces it."""

    id = fields.IntField(primary_key=True)
    shop: fields.OneToOneRelation[Shop] = fields.OneToOneField(
        "models.Shop", related_name="api_key", on_delete=fields.CASCADE
    )
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)  # shown in the dashboard, to tell keys apart
    created_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "api_key"


class LoginToken(Model):
    """A one-time dashboard login link (/后台): its SHA-256, single use, short-lived."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account = fields.CharField(max_length=128)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_token"


class WebSession(Model):
    """A dashboard login: the cookie carries its secret, signed, and this row its SHA-256.
    Logging out ends the row, so a copied or kept cookie stops working then, not when its
    12 hours are up."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account = fields.CharField(max_length=128, db_index=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "web_session"


class CallCount(Model):
    """Calls counted per caller (an API key, an address appealing) and window, in the
    database, so that every web process sharing it counts against one limit: with two
    `python -m bot web` processes behind a proxy, a per-process count gave each key
    twice its calls a minute."""

    id = fields.IntField(primary_key=True)
    caller = fields.CharField(max_length=96)  # "key:<shop id>", "appeal:<address>"
    slot = fields.BigIntField()  # the window's number: seconds since the epoch // its length
    calls = fields.IntField(default=1)
    ends = fields.BigIntField(db_index=True)  # seconds since the epoch: forgotten after

    class Meta:
        table = "call_count"
        unique_together = (("caller", "slot"),)
