"""Shops and the chat accounts that speak for them: binding, renaming, staff, and the
verification and ban marks the trust rules set."""

from __future__ import annotations

import contextlib
from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.identity.text import fold
from bot.states import AccountRole
from bot.storage._sql import (
    execute,
    select,
    transaction,
)
from bot.storage.models.shops import ClueLookupDay, FormerShopAccount, Shop, ShopAccount


class NameTaken(Exception):
    """Another shop on this platform has this name (compared folded)."""


class AccountTaken(Exception):
    """This account already speaks for a shop."""


# Every /查 asks which shop the asker speaks for: one plain SELECT instead of the ORM's
# join, whose query building cost more than the statement (6.8% of the bot's CPU).
_SHOP_COLUMNS = tuple(sorted(Shop._meta.db_fields))


_SHOP_OF_ACCOUNT = (
    f"SELECT {', '.join('s.' + column for column in _SHOP_COLUMNS)}"
    " FROM shop_account a JOIN shop s ON s.id = a.shop_id WHERE a.account = :account"
)


async def shop_of_account(account: str) -> Shop | None:
    rows = await select(_SHOP_OF_ACCOUNT, account=account)
    # As the ORM itself loads a row (each field converted from this database's form).
    return Shop._init_from_db(**dict(zip(_SHOP_COLUMNS, rows[0], strict=True))) if rows else None


async def create_shop(owner: str, platform: str, name: str) -> Shop:
    """A new shop with its owner account, in one transaction."""
    try:
        async with transaction():
            shop = await Shop.create(owner=owner, platform=platform, name=name, name_key=fold(name))
            await ShopAccount.create(account=owner, shop_id=shop.id, role=AccountRole.owner)
            return shop
    except IntegrityError as exc:
        if await ShopAccount.exists(account=owner):
            raise AccountTaken() from exc
        raise NameTaken() from exc


async def rename_shop(shop: Shop, platform: str, name: str) -> str:
    """Returns the previous name."""
    previous = shop.name
    try:
        await Shop.filter(id=shop.id).update(platform=platform, name=name, name_key=fold(name))
    except IntegrityError as exc:
        raise NameTaken() from exc
    shop.platform, shop.name, shop.name_key = platform, name, fold(name)
    return previous


async def add_staff_account(shop_id: int, account: str, by: str) -> None:
    try:
        await ShopAccount.create(account=account, shop_id=shop_id, role=AccountRole.staff, added_by=by)
    except IntegrityError as exc:
        raise AccountTaken() from exc


async def remove_staff_account(shop_id: int, account: str, by: str, now: datetime) -> bool:
    """Remove a staff account, and remember that it spoke for the shop (a ban of the shop
    covers it while the ban lasts)."""
    async with transaction():
        removed = await ShopAccount.filter(shop_id=shop_id, account=account, role=AccountRole.staff).delete()
        if removed:
            await FormerShopAccount.create(
                account=account, shop_id=shop_id, role=AccountRole.staff, removed_by=by, removed_at=now
            )
    return removed > 0


async def banned_shop_of_former_account(account: str) -> Shop | None:
    """A banned shop this account once spoke for, if any."""
    rows = await select(
        f"SELECT {', '.join('s.' + column for column in _SHOP_COLUMNS)}"
        " FROM former_shop_account f JOIN shop s ON s.id = f.shop_id"
        " WHERE f.account = :account AND s.banned_at IS NOT NULL LIMIT 1",
        account=account,
    )
    return Shop._init_from_db(**dict(zip(_SHOP_COLUMNS, rows[0], strict=True))) if rows else None


async def shop_accounts(shop_id: int) -> list[ShopAccount]:
    return await ShopAccount.filter(shop_id=shop_id).order_by("id")


async def set_banned(shop_id: int, by: str | None, reason: str | None, now: datetime | None) -> None:
    await Shop.filter(id=shop_id).update(banned_at=now, banned_by=by, ban_reason=reason)


async def shop_by_id(shop_id: int) -> Shop:
    return await Shop.get(id=shop_id)


async def set_shop_group(shop_id: int, group_id: int) -> None:
    await Shop.filter(id=shop_id).update(group_id=group_id)


# -- phone and address lookups ------------------------------------------------------------


async def clue_lookups_used(shop_id: int, day: str) -> int:
    rows = await select(
        "SELECT used FROM clue_lookup_day WHERE shop_id = :shop_id AND day = :day", shop_id=shop_id, day=day
    )
    return int(rows[0][0]) if rows else 0


async def take_clue_lookups(shop_id: int, day: str, wanted: int, limit: int) -> tuple[int, int]:
    """Take up to `wanted` of the shop's lookups of `day`, never past `limit`; returns
    (taken, used after). A compare-and-set on the day's row: two processes (the bot and
    the web API, two bots on one PostgreSQL) taking at the same instant never both get
    the last one."""
    while True:
        rows = await select(
            "SELECT used FROM clue_lookup_day WHERE shop_id = :shop_id AND day = :day", shop_id=shop_id, day=day
        )
        if not rows:
            with contextlib.suppress(IntegrityError):  # another process made the day's row first
                await ClueLookupDay.create(shop_id=shop_id, day=day, used=0)
            continue
        used = int(rows[0][0])
        taken = max(0, min(wanted, limit - used))
        if taken == 0:
            return 0, used
        changed = await execute(
            "UPDATE clue_lookup_day SET used = :after WHERE shop_id = :shop_id AND day = :day AND used = :before",
            shop_id=shop_id,
            day=day,
            before=used,
            after=used + taken,
        )
        if changed == 1:
            return taken, used + taken
