"""Alerts (a buyer's crossing into a level groups were told about), their corrections,
and what a digest counts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.scoring.verdict import Level
from bot.states import (
    Channel,
    Delivery,
    JointStatus,
    OutboxKind,
    OutboxStatus,
    Word,
)
from bot.storage._sql import ACTIVE, execute, select, to_datetime, transaction
from bot.storage.models.messaging import Alert, Subscription
from bot.storage.models.reports import Buyer


async def create_alert(
    buyer_id: int, level: str, now: datetime, held_until: datetime | None = None, held_for: int | None = None
) -> int:
    return (
        await Alert.create(buyer_id=buyer_id, level=level, created_at=now, held_until=held_until, held_for=held_for)
    ).id


async def held_alerts(buyer_id: int, now: datetime) -> list[Alert]:
    """The buyer's alerts whose messages still wait for an appeal's hold to end."""
    return await Alert.filter(buyer_id=buyer_id, held_until__gt=now, corrected_at__isnull=True).order_by("id")


async def release_alert(alert_id: int, text: str, now: datetime) -> int:
    """Send a held alert now, in the words given (its waiting messages only). Returns how
    many messages it releases."""
    await Alert.filter(id=alert_id).update(held_until=None)
    return await execute(
        """UPDATE outbox SET text = :text, next_attempt_at = :now, created_at = :now
        WHERE event_key = :key AND status = :pending""",
        text=text,
        now=now,
        key=f"alert:{alert_id}",
        pending=OutboxStatus.pending,
    )


async def held_alert_counts(buyer_ids: list[int], now: datetime) -> dict[int, int]:
    """Buyer → how many group messages its held alerts keep waiting."""
    if not buyer_ids:
        return {}
    rows = await select(
        """SELECT a.buyer_id, COUNT(o.id) FROM alert a JOIN outbox o ON o.event_key = 'alert:' || a.id
        WHERE a.buyer_id IN (:buyers) AND a.held_until > :now AND a.corrected_at IS NULL AND o.status = :pending
        GROUP BY a.buyer_id""",
        buyers=buyer_ids,
        now=now,
        pending=OutboxStatus.pending,
    )
    return {int(row[0]): int(row[1]) for row in rows}


# -- the last word to each group about a buyer ---------------------------------------------------


async def record_alert_words(level: str, buyer_id: int, alert_id: int, now: datetime) -> None:
    """The groups an alert was queued for (the same ones enqueue_alert chose): their last
    word on the buyer is this alert."""
    await execute(
        """INSERT INTO group_buyer_word (group_id, buyer_id, word, level, alert_id, updated_at)
        SELECT s.group_id, :buyer_id, :alert_word, :level, :alert_id, :now
        FROM subscription s WHERE s.active = :yes AND s.delivery = :ok AND s.alert_level = :subscribed_level
        AND NOT EXISTS (SELECT 1 FROM group_allowlist g WHERE g.group_id = s.group_id AND g.buyer_id = :buyer_id)
        ON CONFLICT (group_id, buyer_id) DO UPDATE SET word = :alert_word, level = :level, alert_id = :alert_id,
        updated_at = :now""",
        buyer_id=buyer_id,
        alert_word=Word.alert,
        level=level,
        # Apart from :level: PostgreSQL types a parameter once, and the column and the
        # inserted value differ in type.
        subscribed_level=level,
        alert_id=alert_id,
        now=now,
        yes=True,
        ok=Delivery.ok,
    )


async def groups_whose_last_word(buyer_id: int, words: list[Word]) -> set[int]:
    rows = await select(
        "SELECT group_id FROM group_buyer_word WHERE buyer_id = :buyer_id AND word IN (:words)",
        buyer_id=buyer_id,
        words=words,
    )
    return {int(row[0]) for row in rows}


async def set_last_words(group_ids: list[int], buyer_id: int, word: Word, level: str, now: datetime) -> None:
    if not group_ids:
        return
    await execute(
        """UPDATE group_buyer_word SET word = :word, level = :level, updated_at = :now
        WHERE buyer_id = :buyer_id AND group_id IN (:groups)""",
        word=word,
        level=level,
        now=now,
        buyer_id=buyer_id,
        groups=group_ids,
    )


async def escalation_groups(buyer_id: int, alerted_level: str) -> list[int]:
    """Groups alerted at `alerted_level` about the buyer (their last word on it is that
    alert), still subscribed at that level and not allowing the buyer: they are told
    once when the buyer crosses into 极高风险."""
    rows = await select(
        """SELECT w.group_id FROM group_buyer_word w JOIN subscription s ON s.group_id = w.group_id
        WHERE w.buyer_id = :buyer_id AND w.word = :alert_word AND w.level = :level
        AND s.active = :yes AND s.delivery = :ok AND s.alert_level = :level
        AND NOT EXISTS (SELECT 1 FROM group_allowlist g WHERE g.group_id = w.group_id AND g.buyer_id = :buyer_id)
        ORDER BY w.group_id""",
        buyer_id=buyer_id,
        alert_word=Word.alert,
        level=alerted_level,
        yes=True,
        ok=Delivery.ok,
    )
    return [int(row[0]) for row in rows]


async def alert_buyer(alert_id: int) -> Buyer | None:
    """The buyer an alert was about (`/查 预警3`)."""
    alert = await Alert.get_or_none(id=alert_id).select_related("buyer")
    return alert.buyer if alert else None


async def alerted_since(buyer_id: int, level: str, since: datetime) -> bool:
    return await Alert.exists(buyer_id=buyer_id, level=level, created_at__gte=since)


async def standing_alert(buyer_id: int, level: str) -> bool:
    """The groups at this level were told about the buyer and nothing has ended it."""
    return await Alert.exists(buyer_id=buyer_id, level=level, corrected_at__isnull=True)


async def end_alert(alert_id: int, now: datetime) -> None:
    """The buyer fell below the alert's level by time or by a change that corrects
    nothing: the alert ends silently (no correction), so that a new crossing alerts."""
    await Alert.filter(id=alert_id, corrected_at__isnull=True).update(corrected_at=now)
    # A message still waiting (an appeal held it) would now say a level the buyer is not at.
    await execute(
        "UPDATE outbox SET status = :dropped, last_error = :why WHERE event_key = :key AND status = :pending",
        dropped=OutboxStatus.dropped,
        why="the buyer fell below the alert's level before it was sent",
        key=f"alert:{alert_id}",
        pending=OutboxStatus.pending,
    )


async def uncorrected_alerts(buyer_id: int) -> list[Alert]:
    return await Alert.filter(buyer_id=buyer_id, corrected_at__isnull=True).order_by("id")


async def mark_corrected(alert_id: int, why: str, now: datetime) -> bool:
    """True for the one caller that corrects this alert: once per alert."""
    changed = await Alert.filter(id=alert_id, corrected_at__isnull=True).update(corrected_at=now, correction=why)
    return changed == 1


async def groups_alerted(alert_id: int) -> list[int]:
    """The groups that were told (sent, or folded into their digest); an alert still
    waiting in the outbox is withdrawn instead (it never reached anyone)."""
    key = f"alert:{alert_id}"
    await execute(
        "UPDATE outbox SET status = :dropped, last_error = :why WHERE event_key = :key AND status = :pending",
        dropped=OutboxStatus.dropped,
        why="corrected before it was sent",
        key=key,
        pending=OutboxStatus.pending,
    )
    rows = await select(
        "SELECT target_id FROM outbox WHERE event_key = :key AND channel = :group AND status IN (:told)",
        key=key,
        group=Channel.group,
        told=[OutboxStatus.sent, OutboxStatus.folded],
    )
    return sorted(int(row[0]) for row in rows)


async def corrections_since(since: datetime) -> list[tuple[str, str, str, str]]:
    """(platform, buyer_key, level, why) of alerts corrected since, for the digest."""
    rows = await select(
        """SELECT b.platform, b.buyer_key, a.level, a.correction FROM alert a JOIN buyer b ON b.id = a.buyer_id
        WHERE a.corrected_at > :since AND a.correction IS NOT NULL ORDER BY a.id""",
        since=since,
    )
    return [(row[0], row[1], row[2], row[3] or "") for row in rows]


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
