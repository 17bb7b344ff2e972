"""Webhook robots and the official QQ bot's groups as subscribers, the one-time codes that
link accounts across networks, and the outbox steps only they take (a message's parts,
a message that waits for a reply to ride on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.identity.places import robot_target
from bot.states import Channel, Delivery, OutboxStatus
from bot.storage._sql import execute, is_postgres, select, transaction
from bot.storage.models.messaging import OutboxMessage, Subscription
from bot.storage.models.robots import LinkCode, QQBotGroup, Robot

# -- robots ----------------------------------------------------------------------------


async def register_robot(
    *,
    service: str,
    host: str,
    address_sealed: str,
    address_digest: str,
    address_mask: str,
    secret_sealed: str | None,
    keyword: str | None,
    owner: str,
    alert_level: str,
    digest_time: str,
    digest_enabled: bool,
    now: datetime,
) -> tuple[Robot, bool]:
    """Register a robot and subscribe it, in one transaction. An address registered
    before (even removed or paused) is the same robot again, with the new secret, owner
    and rules, and its failures forgotten. Returns the robot and whether it is new."""
    values: dict[str, Any] = {
        "service": service,
        "host": host,
        "address_sealed": address_sealed,
        "address_mask": address_mask,
        "secret_sealed": secret_sealed,
        "keyword": keyword,
        "owner": owner,
        "failures": 0,
        "paused_at": None,
        "pause_reason": None,
        "removed_at": None,
    }
    async with transaction():
        found = await Robot.get_or_none(address_digest=address_digest)
        created = found is None
        if found is None:
            try:
                found = await Robot.create(address_digest=address_digest, created_at=now, **values)
            except IntegrityError:
                found = await Robot.get(address_digest=address_digest)
                created = False
        if not created:
            await Robot.filter(id=found.id).update(**values)
        target = robot_target(found.id)
        rules: dict[str, Any] = {
            "alert_level": alert_level,
            "digest_time": digest_time,
            "digest_enabled": digest_enabled,
            "active": True,
            "delivery": Delivery.ok,
            "subscribed_by": owner,
        }
        if not await Subscription.filter(group_id=target).update(**rules):
            await Subscription.create(group_id=target, **rules)
        return await Robot.get(id=found.id), created


async def robot_by_id(robot_id: int) -> Robot | None:
    return await Robot.get_or_none(id=robot_id, removed_at__isnull=True)


async def robots_with_rules(owner: str | None = None) -> list[tuple[Robot, Subscription | None]]:
    """The robots not removed (of one owner, or all), each with its subscription."""
    query = Robot.filter(removed_at__isnull=True)
    if owner is not None:
        query = query.filter(owner=owner)
    robots = await query.order_by("id")
    subscriptions = {
        s.group_id: s for s in await Subscription.filter(group_id__in=[robot_target(r.id) for r in robots])
    }
    return [(robot, subscriptions.get(robot_target(robot.id))) for robot in robots]


async def remove_robot(robot_id: int, now: datetime) -> bool:
    target = robot_target(robot_id)
    async with transaction():
        removed = await Robot.filter(id=robot_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            await Subscription.filter(group_id=target).update(active=False)
            await _drop_pending(target, "robot removed")
        return removed == 1


async def pause_robot(robot_id: int, reason: str, now: datetime) -> bool:
    """Stop sending to a robot: its subscription is marked, its queue dropped. True for
    the one caller that paused it."""
    target = robot_target(robot_id)
    async with transaction():
        paused = await Robot.filter(id=robot_id, paused_at__isnull=True).update(
            paused_at=now, pause_reason=reason[:255]
        )
        if paused:
            await Subscription.filter(group_id=target).update(delivery=Delivery.paused)
            await _drop_pending(target, f"robot paused: {reason}")
        return paused == 1


async def _drop_pending(target: int, why: str) -> None:
    await OutboxMessage.filter(channel=Channel.group, target_id=target, status=OutboxStatus.pending).update(
        status=OutboxStatus.dropped, last_error=why[:255]
    )


async def robot_failed(robot_id: int) -> int:
    """Count one more failed send in a row; returns the count."""
    await execute("UPDATE robot SET failures = failures + 1 WHERE id = :id", id=robot_id)
    rows = await select("SELECT failures FROM robot WHERE id = :id", id=robot_id)
    return int(rows[0][0]) if rows else 0


async def robot_delivered(robot_id: int) -> None:
    await execute("UPDATE robot SET failures = 0 WHERE id = :id AND failures <> 0", id=robot_id)


async def mark_parts_sent(message_id: int, worker: str, parts_sent: int) -> None:
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status=OutboxStatus.pending).update(
        parts_sent=parts_sent
    )


# -- the official QQ bot's groups --------------------------------------------------------


async def qqbot_group_for(group_openid: str, bot_id: str, now: datetime) -> QQBotGroup:
    found = await QQBotGroup.get_or_none(group_openid=group_openid)
    if found is None:
        try:
            found = await QQBotGroup.create(group_openid=group_openid, bot_id=bot_id, created_at=now)
        except IntegrityError:
            found = await QQBotGroup.get(group_openid=group_openid)
    return found


async def qqbot_group_by_id(number: int) -> QQBotGroup | None:
    return await QQBotGroup.get_or_none(id=number)


async def allow_qqbot_pushes(group_openid: str, allowed: bool) -> None:
    """The group turned the bot's active messages on or off (GROUP_MSG_RECEIVE / _REJECT)."""
    await QQBotGroup.filter(group_openid=group_openid).update(pushes_allowed=allowed)


async def take_qqbot_push(number: int, month: str, quota: int) -> bool:
    """Use one of the group's active pushes of this month, if one is left."""
    changed = await execute(
        """UPDATE qqbot_group SET pushes = CASE WHEN push_month = :month THEN pushes + 1 ELSE 1 END, push_month = :month
        WHERE id = :id AND pushes_allowed = :yes AND (push_month IS NULL OR push_month <> :month OR pushes < :quota)""",
        id=number,
        month=month,
        quota=quota,
        yes=True,
    )
    return changed == 1 and quota > 0


async def spend_qqbot_pushes(number: int, month: str, quota: int) -> None:
    """The platform refused an active push: none is left this month, whatever the count said."""
    await QQBotGroup.filter(id=number).update(push_month=month, pushes=quota)


_WAITING = (
    "status = :pending AND target_id = :target AND channel = :group AND (claimed_until IS NULL OR claimed_until < :now)"
)


async def claim_waiting(
    target: int, worker: str, now: datetime, lease_until: datetime, limit: int
) -> list[OutboxMessage]:
    """Claim the messages that wait for this group, due or not: they ride on a reply."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    rows = await select(
        f"""UPDATE outbox SET claimed_by = :worker, claimed_until = :lease_until
        WHERE id IN (SELECT id FROM outbox WHERE {_WAITING} ORDER BY id LIMIT :limit{lock}) RETURNING id""",
        worker=worker,
        lease_until=lease_until,
        now=now,
        limit=limit,
        pending=OutboxStatus.pending,
        target=target,
        group=Channel.group,
    )
    ids = [row[0] for row in rows]
    return await OutboxMessage.filter(id__in=ids).order_by("id") if ids else []


async def release_claims(message_ids: list[int], worker: str) -> None:
    if message_ids:
        await OutboxMessage.filter(id__in=message_ids, claimed_by=worker, status=OutboxStatus.pending).update(
            claimed_until=None
        )


async def mark_waiting(message_id: int, worker: str, until: datetime, note: str) -> None:
    """Leave a message pending without spending an attempt: it waits for a reply in its
    group to ride on, and is looked at again at `until` (a push may be allowed by then)."""
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status=OutboxStatus.pending).update(
        next_attempt_at=until, claimed_until=None, last_error=note[:255]
    )


# -- linking accounts across networks -----------------------------------------------------


async def create_link_code(code_hash: str, account: str, expires_at: datetime) -> None:
    await LinkCode.create(code_hash=code_hash, account=account, expires_at=expires_at)


async def redeem_link_code(code_hash: str, now: datetime) -> str | None:
    """The account a code was made for, once, while it is valid."""
    async with transaction():
        found = await LinkCode.get_or_none(code_hash=code_hash, used_at__isnull=True, expires_at__gt=now)
        if found is None:
            return None
        if not await LinkCode.filter(id=found.id, used_at__isnull=True).update(used_at=now):
            return None
        return found.account
