"""Credentials of the HTTP front door: shops' API keys, one-time login links and the
dashboard's sessions, all kept as SHA-256 digests only."""

from __future__ import annotations

from datetime import datetime

from bot.storage._sql import execute, select, transaction
from bot.storage.models.access import ApiKey, LoginToken, WebSession
from bot.storage.models.shops import Shop


async def replace_api_key(shop_id: int, key_hash: str, prefix: str, by: str, now: datetime) -> None:
    """The shop's new key; the old one stops working in the same transaction."""
    async with transaction():
        await ApiKey.filter(shop_id=shop_id).delete()
        await ApiKey.create(shop_id=shop_id, key_hash=key_hash, prefix=prefix, created_by=by, created_at=now)


async def api_key_of(shop_id: int) -> ApiKey | None:
    return await ApiKey.get_or_none(shop_id=shop_id)


async def shop_of_key_hash(key_hash: str, now: datetime) -> Shop | None:
    found = await ApiKey.get_or_none(key_hash=key_hash).select_related("shop")
    if found is None:
        return None
    await ApiKey.filter(id=found.id).update(last_used_at=now)
    return found.shop


async def create_login_token(token_hash: str, account: str, expires_at: datetime) -> None:
    await LoginToken.create(token_hash=token_hash, account=account, expires_at=expires_at)


async def redeem_login_token(token_hash: str, now: datetime) -> str | None:
    """The account of a valid, unused token, marked used by this one caller only."""
    found = await LoginToken.get_or_none(token_hash=token_hash)
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    used = await execute(
        "UPDATE login_token SET used_at = :now WHERE id = :id AND used_at IS NULL", now=now, id=found.id
    )
    return found.account if used == 1 else None


async def create_web_session(token_hash: str, account: str, now: datetime, expires_at: datetime) -> None:
    """A new dashboard session; the sessions that ran out go at the same time."""
    async with transaction():
        await WebSession.filter(expires_at__lt=now).delete()
        await WebSession.create(token_hash=token_hash, account=account, created_at=now, expires_at=expires_at)


async def web_session_account(token_hash: str, now: datetime) -> str | None:
    """The account of a session that has neither ended nor run out."""
    found = await WebSession.get_or_none(token_hash=token_hash, ended_at__isnull=True, expires_at__gt=now)
    return found.account if found else None


async def end_web_session(token_hash: str, now: datetime) -> None:
    await WebSession.filter(token_hash=token_hash, ended_at__isnull=True).update(ended_at=now)


async def count_call(caller: str, slot: int, ends: int, limit: int, now: int) -> bool:
    """Count a call in the caller's window (number `slot`, over at `ends`, both in epoch
    seconds), unless it has had `limit` already: True if counted (allowed). One
    statement, so that processes sharing the database never let two calls through for
    the last place."""
    rows = await select(
        """INSERT INTO call_count (caller, slot, calls, ends) VALUES (:caller, :slot, 1, :ends)
        ON CONFLICT (caller, slot) DO UPDATE SET calls = call_count.calls + 1 WHERE call_count.calls < :limit
        RETURNING calls""",
        caller=caller,
        slot=slot,
        ends=ends,
        limit=limit,
    )
    if rows and rows[0][0] == 1:  # a new window: the ended windows of every caller go
        await execute("DELETE FROM call_count WHERE ends <= :now", now=now)
    return bool(rows)
