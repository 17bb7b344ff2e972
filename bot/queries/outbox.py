"""The outbox (every proactive message, queued in the transaction of its cause and drained
by the paced sender), group subscriptions, and what the digests count."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.models import OutboxMessage, Subscription
from bot.queries._sql import ACTIVE, execute, is_postgres, select, to_datetime, transaction
from bot.states import Channel, Delivery, JointStatus, OutboxKind, OutboxStatus
from bot.verdict import Level

# -- subscriptions ------------------------------------------------------------------------


async def subscription_of(group_id: int) -> Subscription | None:
    return await Subscription.get_or_none(group_id=group_id)


async def subscribe_group(group_id: int, digest_time: str, digest_enabled: bool, by: str) -> Subscription:
    found = await Subscription.get_or_none(group_id=group_id)
    if found is None:
        try:
            return await Subscription.create(
                group_id=group_id, digest_time=digest_time, digest_enabled=digest_enabled, subscribed_by=by
            )
        except IntegrityError:
            found = await Subscription.get(group_id=group_id)
    found.digest_time, found.digest_enabled = digest_time, digest_enabled
    found.active, found.delivery, found.subscribed_by = True, Delivery.ok, by
    await found.save()
    return found


async def unsubscribe_group(group_id: int) -> bool:
    return await Subscription.filter(group_id=group_id, active=True).update(active=False) == 1


async def digest_subscriptions() -> list[Subscription]:
    """The groups that take a digest: subscribed, reachable, digest not turned off."""
    return await Subscription.filter(active=True, delivery=Delivery.ok, digest_enabled=True).order_by("group_id")


# -- queueing -------------------------------------------------------------------------------

_INSERT = """
INSERT INTO outbox (kind, channel, target_id, mention, event_key, text, image, status, attempts, next_attempt_at,
                    created_at)
VALUES (:kind, :channel, :target_id, :mention, :event_key, :text, :image, :pending, 0, :now, :now)
ON CONFLICT (target_id, event_key) DO NOTHING"""


async def enqueue_alert(level: str, buyer_id: int, event_key: str, text: str, now: datetime) -> int:
    """Queue an alert for every deliverable subscribed group alerted at this level that
    has not allowed the buyer (/设置), in one statement (an alert for 2,000 groups must
    commit within the report's transaction quickly). A message already queued for the
    same (group, event) is left as it is."""
    return await execute(
        """INSERT INTO outbox (kind, channel, target_id, event_key, text, status, attempts, next_attempt_at, created_at)
        SELECT :kind, :group, s.group_id, :event_key, :text, :pending, 0, :now, :now
        FROM subscription s WHERE s.active = :yes AND s.delivery = :ok AND s.alert_level = :level
        AND NOT EXISTS (SELECT 1 FROM group_allowlist g WHERE g.group_id = s.group_id AND g.buyer_id = :buyer_id)
        ON CONFLICT (target_id, event_key) DO NOTHING""",
        kind=OutboxKind.alert,
        level=level,
        buyer_id=buyer_id,
        group=Channel.group,
        event_key=event_key,
        text=text,
        pending=OutboxStatus.pending,
        now=now,
        yes=True,
        ok=Delivery.ok,
    )


async def enqueue(
    kind: OutboxKind,
    channel: Channel,
    target_id: int,
    event_key: str,
    text: str,
    now: datetime,
    *,
    image: str | None = None,
    mention: int | None = None,
) -> bool:
    """Queue one message; False if this event was queued for this target already."""
    inserted = await execute(
        _INSERT,
        kind=kind,
        channel=channel,
        target_id=target_id,
        mention=mention,
        event_key=event_key[:80],
        text=text,
        image=image,
        pending=OutboxStatus.pending,
        now=now,
    )
    return inserted == 1


# -- the sender -----------------------------------------------------------------------------

_DUE = "status = :pending AND next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)"


async def claim_outbox(worker: str, now: datetime, lease_until: datetime, limit: int) -> list[OutboxMessage]:
    """Claim due messages for this sender. PostgreSQL: FOR UPDATE SKIP LOCKED, so two
    bot processes never claim the same row; SQLite serialises writers, and each claim
    is a conditional UPDATE that only one process can win."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    rows = await select(
        f"""UPDATE outbox SET claimed_by = :worker, claimed_until = :lease_until
        WHERE id IN (SELECT id FROM outbox WHERE {_DUE} ORDER BY id LIMIT :limit{lock}) RETURNING id""",
        worker=worker,
        lease_until=lease_until,
        now=now,
        limit=limit,
        pending=OutboxStatus.pending,
    )
    ids = [row[0] for row in rows]
    return await OutboxMessage.filter(id__in=ids).order_by("id") if ids else []


async def mark_sent(message_id: int, worker: str, now: datetime) -> bool:
    # SQL rather than the query builder: the sender runs this once per message.
    changed = await execute(
        """UPDATE outbox SET status = :sent, sent_at = :now, claimed_until = NULL
        WHERE id = :id AND claimed_by = :worker AND status = :pending""",
        sent=OutboxStatus.sent,
        pending=OutboxStatus.pending,
        now=now,
        id=message_id,
        worker=worker,
    )
    return changed == 1


async def mark_retry(
    message_id: int, worker: str, attempts: int, next_attempt_at: datetime, error: str, give_up: bool
) -> None:
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status=OutboxStatus.pending).update(
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        last_error=error[:255],
        claimed_until=None,
        status=OutboxStatus.failed if give_up else OutboxStatus.pending,
    )


async def mark_folded(message_id: int, worker: str) -> None:
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status=OutboxStatus.pending).update(
        status=OutboxStatus.folded, claimed_until=None
    )


async def drop_group(group_id: int, delivery: Delivery, error: str) -> None:
    async with transaction():
        await Subscription.filter(group_id=group_id).update(delivery=delivery)
        await OutboxMessage.filter(channel=Channel.group, target_id=group_id, status=OutboxStatus.pending).update(
            status=OutboxStatus.dropped, last_error=error[:255]
        )


# -- digests -------------------------------------------------------------------------------

_HIGH = (Level.high, Level.severe)


async def new_high_risk_since(since: datetime) -> list[tuple[int, str, str, str]]:
    """(buyer id, platform, buyer_key, level) of buyers that crossed into 高风险 or worse since."""
    rows = await select(
        """SELECT b.id, b.platform, b.buyer_key, d.level_after FROM decision d JOIN buyer b ON b.id = d.buyer_id
        WHERE d.created_at > :since AND d.level_after IN (:high) AND d.level_before NOT IN (:high)
        ORDER BY d.id""",
        since=since,
        high=[level.value for level in _HIGH],
    )
    seen: dict[tuple[int, str, str], str] = {}
    for buyer_id, platform, buyer_key, level in rows:
        seen[(int(buyer_id), platform, buyer_key)] = level
    return [(b, p, k, level) for (b, p, k), level in seen.items()]


async def reports_by_category_since(since: datetime) -> dict[str, int]:
    rows = await select(
        f"SELECT r.category, COUNT(*) FROM report r WHERE r.created_at > :since AND {ACTIVE} GROUP BY r.category",
        since=since,
    )
    return {category: int(count) for category, count in rows}


async def report_days_since(since: datetime) -> list[tuple[datetime, str]]:
    rows = await select(
        f"SELECT r.created_at, r.category FROM report r WHERE r.created_at > :since AND {ACTIVE}", since=since
    )
    return [(to_datetime(created_at), category) for created_at, category in rows]


async def folded_alerts(group_ids: list[int], since: datetime) -> dict[int, list[str]]:
    """The alerts folded (too late to send alone) for these groups since, by group."""
    rows = await select(
        """SELECT target_id, text FROM outbox WHERE channel = :group AND status = :folded AND created_at > :since
        AND target_id IN (:groups) ORDER BY id""",
        group=Channel.group,
        folded=OutboxStatus.folded,
        since=since,
        groups=group_ids,
    )
    found: dict[int, list[str]] = {}
    for target_id, text in rows:
        found.setdefault(int(target_id), []).append(text)
    return found


async def record_digests(digests: list[tuple[int, str]], event_key: str, image: str | None, now: datetime) -> int:
    """Queue a round's digests, (subscription id, text) each, and move each group's
    digest mark, in one transaction of a few statements (one INSERT … SELECT per
    distinct text: most groups get the same one). A digest already queued (another
    process, or before a restart) is not queued again. Returns how many were queued."""
    by_text: dict[str, list[int]] = {}
    for subscription_id, text in digests:
        by_text.setdefault(text, []).append(subscription_id)
    queued = 0
    async with transaction():
        for text, subscription_ids in by_text.items():
            queued += await execute(
                """INSERT INTO outbox (kind, channel, target_id, event_key, text, image, status, attempts,
                                       next_attempt_at, created_at)
                SELECT :kind, :group, group_id, :event_key, :text, :image, :pending, 0, :now, :now
                FROM subscription WHERE id IN (:ids)
                ON CONFLICT (target_id, event_key) DO NOTHING""",
                kind=OutboxKind.digest,
                group=Channel.group,
                event_key=event_key,
                text=text,
                image=image,
                pending=OutboxStatus.pending,
                now=now,
                ids=subscription_ids,
            )
        await Subscription.filter(id__in=[subscription_id for subscription_id, _ in digests]).update(last_digest_at=now)
    return queued


async def open_joint_case_counts() -> dict[str, int]:
    statuses = [JointStatus.collecting, JointStatus.submitted, JointStatus.in_review, JointStatus.rejected]
    rows = await select("SELECT status FROM joint_case WHERE status IN (:statuses)", statuses=statuses)
    return dict(Counter(row[0] for row in rows))
