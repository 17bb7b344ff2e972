"""Each group's own rules (/设置): the alert level, the digest, the allowlist; every
change logged with who made it, in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.storage._sql import select, transaction
from bot.storage.models.groups import GroupAllowlist, GroupSettingChange
from bot.storage.models.messaging import Subscription
from bot.storage.models.reports import Buyer


async def rules_of_group(group_id: int) -> Subscription | None:
    return await Subscription.get_or_none(group_id=group_id)


async def _log(group_id: int, actor: str, setting: str, before: str | None, after: str | None, now: datetime) -> None:
    await GroupSettingChange.create(
        group_id=group_id, actor=actor, setting=setting, before=before, after=after, created_at=now
    )


async def change_group_rule(
    group_id: int, actor: str, setting: str, before: str, after: str, now: datetime, **fields: Any
) -> Subscription:
    """Set fields of the group's subscription row (created inactive when the group has
    not subscribed: its rules wait for /订阅) and log the change."""
    async with transaction():
        found = await Subscription.get_or_none(group_id=group_id)
        if found is None:
            try:
                found = await Subscription.create(group_id=group_id, active=False, subscribed_by=actor, **fields)
            except IntegrityError:
                found = await Subscription.get(group_id=group_id)
        await Subscription.filter(id=found.id).update(**fields)
        await _log(group_id, actor, setting, before, after, now)
        return await Subscription.get(id=found.id)


async def allow_buyer(
    group_id: int, buyer_id: int, label: str, reason: str, actor: str, now: datetime
) -> GroupAllowlist | None:
    """Allow the buyer in the group; returns the earlier allowance when the buyer was
    already allowed (its reason is replaced), None when new."""
    async with transaction():
        earlier = await GroupAllowlist.get_or_none(group_id=group_id, buyer_id=buyer_id)
        if earlier is None:
            await GroupAllowlist.create(
                group_id=group_id, buyer_id=buyer_id, reason=reason, added_by=actor, created_at=now
            )
        else:
            await GroupAllowlist.filter(id=earlier.id).update(reason=reason, added_by=actor, created_at=now)
        await _log(
            group_id, actor, "放行", f"{label}：{earlier.reason}" if earlier else None, f"{label}：{reason}", now
        )
        return earlier


async def disallow_buyer(group_id: int, buyer_id: int, label: str, actor: str, now: datetime) -> GroupAllowlist | None:
    """Remove the buyer from the group's allowlist; the removed allowance, or None."""
    async with transaction():
        found = await GroupAllowlist.get_or_none(group_id=group_id, buyer_id=buyer_id)
        if found is None:
            return None
        await found.delete()
        await _log(group_id, actor, "放行", f"{label}：{found.reason}", None, now)
        return found


async def allowance_of(group_id: int, platform: str, buyer_key: str) -> GroupAllowlist | None:
    return await GroupAllowlist.get_or_none(
        group_id=group_id, buyer__platform=platform, buyer__buyer_key=buyer_key
    ).select_related("buyer")


async def find_buyer(platform: str, buyer_key: str) -> Buyer | None:
    return await Buyer.get_or_none(platform=platform, buyer_key=buyer_key)


async def allowlist(group_id: int) -> list[GroupAllowlist]:
    return await GroupAllowlist.filter(group_id=group_id).select_related("buyer").order_by("-created_at")


async def allowing_groups() -> list[int]:
    """The groups that allowed any buyer."""
    return [int(row[0]) for row in await select("SELECT DISTINCT group_id FROM group_allowlist")]


async def allowed_buyers(group_ids: list[int]) -> dict[int, set[int]]:
    """Group → the buyers it allowed, for the groups that allowed any."""
    if not group_ids:
        return {}
    rows = await select("SELECT group_id, buyer_id FROM group_allowlist WHERE group_id IN (:groups)", groups=group_ids)
    found: dict[int, set[int]] = {}
    for group_id, buyer_id in rows:
        found.setdefault(int(group_id), set()).add(int(buyer_id))
    return found


async def group_rule_changes(group_id: int, limit: int = 20) -> list[GroupSettingChange]:
    return await GroupSettingChange.filter(group_id=group_id).order_by("-id").limit(limit)


async def group_platforms() -> dict[int, str]:
    """Group → the platform it set (/设置 平台), for the groups that set one."""
    rows = await select("SELECT group_id, platform FROM subscription WHERE platform IS NOT NULL")
    return {int(group_id): str(platform) for group_id, platform in rows}


async def screenshot_groups() -> list[int]:
    """The groups that read every picture posted in them (/设置 自动识别截图 开)."""
    return [row.group_id for row in await Subscription.filter(read_screenshots=True).only("id", "group_id")]
