"""The outbox (every proactive message, queued in the transaction of its cause and
drained by the paced sender) and group subscriptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from bot.states import (
    Channel,
    Delivery,
    OutboxKind,
    OutboxStatus,
)
from bot.storage._sql import execute, is_postgres, select, transaction
from bot.storage.models.messaging import GroupSender, OutboxMessage, Subscription


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


async def digest_subscriptions(
    accounts: Sequence[str] | None = None, now: datetime | None = None
) -> list[Subscription]:
    """The groups that take a digest: subscribed, reachable, digest not turned off.
    `accounts`: only those this process's QQ accounts send to (claim_outbox's rule), so
    that several bot processes split a digest round instead of each building all of it."""
    found = await Subscription.filter(active=True, delivery=Delivery.ok, digest_enabled=True).order_by("group_id")
    if accounts is None or now is None:
        return found
    rows = await select(
        f"SELECT s.group_id FROM subscription s WHERE s.active = :yes AND {_served('s.group_id')}",
        yes=True,
        **_served_params(accounts, now),
    )
    mine = {row[0] for row in rows}
    return [s for s in found if s.group_id in mine]


_INSERT = """
INSERT INTO outbox (kind, channel, target_id, mention, event_key, text, image, status, attempts, next_attempt_at,
                    created_at)
VALUES (:kind, :channel, :target_id, :mention, :event_key, :text, :image, :pending, 0, :now, :now)
ON CONFLICT (target_id, event_key) DO NOTHING"""


async def enqueue_alert(
    level: str, buyer_id: int, event_key: str, text: str, now: datetime, due: datetime | None = None
) -> int:
    """Queue an alert for every deliverable subscribed group alerted at this level that
    has not allowed the buyer (/设置), in one statement (an alert for 2,000 groups must
    commit within the report's transaction quickly). A message already queued for the
    same (group, event) is left as it is. `due`: not before (an alert held while an
    appeal is open); it counts as queued then, for the folding of late alerts."""
    return await execute(
        """INSERT INTO outbox (kind, channel, target_id, event_key, text, status, attempts, next_attempt_at, created_at)
        SELECT :kind, :group, s.group_id, :event_key, :text, :pending, 0, :due, :due
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
        due=due or now,
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


_DUE = "status = :pending AND next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)"


# Whose messages a sender with QQ accounts takes (issue #29): a robot's or an official-bot
# group's (negative targets) whatever its accounts; a QQ group that one of its accounts
# serves, or that no account serves (never listed, or left and not taken over within the
# hand-over time: a send tells whether the bot is still there); a private message too.
# Without an account (none connected yet), only what needs none.
def _served(target: str) -> str:
    """The predicate on a group column: this process's accounts send there."""
    return f"""({target} < 0 OR (:has_account AND (
        EXISTS (SELECT 1 FROM group_sender g WHERE g.group_id = {target} AND g.account IN (:accounts))
        OR NOT EXISTS (SELECT 1 FROM group_sender g WHERE g.group_id = {target}
                       AND (g.account IS NOT NULL OR g.seen_at >= :handed_over_before)))))"""


_SERVED_BY = f"""((outbox.channel = :private_channel AND :has_account)
    OR (outbox.channel = :group_channel AND {_served("outbox.target_id")}))"""


def _served_params(accounts: Sequence[str] | None, now: datetime) -> dict[str, object]:
    return {"has_account": bool(accounts), "accounts": list(accounts or ()), "handed_over_before": now - HAND_OVER}


# How long a group whose account left it waits for another account in it to take it
# over before any sender may try it (and learn from the send that no account is there).
HAND_OVER = timedelta(minutes=30)
# Every process with a sender says every HEARTBEAT that its accounts are alive (touch_groups);
# an account silent for GONE_AFTER is taken to be gone, and another account in its groups
# takes them over when it next reads its list or hears a command there.
HEARTBEAT = timedelta(minutes=1)
GONE_AFTER = 3 * HEARTBEAT


async def claim_outbox(
    worker: str, now: datetime, lease_until: datetime, limit: int, accounts: Sequence[str] | None = None
) -> list[OutboxMessage]:
    """Claim due messages for this sender. PostgreSQL: FOR UPDATE SKIP LOCKED, so two
    bot processes never claim the same row; SQLite serialises writers, and each claim
    is a conditional UPDATE that only one process can win. `accounts`: the QQ accounts
    this sender speaks with (None: one account, or none to tell; every message)."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    served = "" if accounts is None else f" AND {_SERVED_BY}"
    rows = await select(
        f"""UPDATE outbox SET claimed_by = :worker, claimed_until = :lease_until
        WHERE id IN (SELECT id FROM outbox WHERE {_DUE}{served} ORDER BY id LIMIT :limit{lock}) RETURNING id""",
        worker=worker,
        lease_until=lease_until,
        now=now,
        limit=limit,
        pending=OutboxStatus.pending,
        private_channel=Channel.private,
        group_channel=Channel.group,
        **_served_params(accounts, now),
    )
    ids = [row[0] for row in rows]
    return await OutboxMessage.filter(id__in=ids).order_by("id") if ids else []


# Rows per statement when an account's group list is written (bound parameters stay far
# below SQLite's limit of 32,766).
_SERVE_BATCH = 500


async def serve_groups(account: str, group_ids: Iterable[int], now: datetime) -> set[int]:
    """An account's group list, as the chat network gave it: each group no account
    serves, or whose account left it or is gone (no heartbeat for GONE_AFTER), is this
    account's now; the account's own are refreshed; the groups it served and is no
    longer in are left for another account in them. Returns the groups it serves."""
    listed = sorted(set(group_ids))
    async with transaction():
        for start in range(0, len(listed), _SERVE_BATCH):
            batch = listed[start : start + _SERVE_BATCH]
            values = ", ".join(f"(:g{i}, :account, :now)" for i in range(len(batch)))
            await execute(
                f"""INSERT INTO group_sender (group_id, account, seen_at) VALUES {values}
                ON CONFLICT (group_id) DO UPDATE SET account = excluded.account, seen_at = excluded.seen_at
                WHERE group_sender.account = excluded.account OR group_sender.account IS NULL
                OR group_sender.seen_at < :stale_before""",
                account=account,
                now=now,
                stale_before=now - GONE_AFTER,
                **{f"g{i}": group_id for i, group_id in enumerate(batch)},
            )
        await execute(
            "UPDATE group_sender SET account = NULL, seen_at = :now WHERE account = :account"
            " AND group_id NOT IN (:listed)",
            account=account,
            now=now,
            listed=listed,
        )
    rows = await select("SELECT group_id FROM group_sender WHERE account = :account", account=account)
    return {row[0] for row in rows}


async def serve_group(account: str, group_id: int, now: datetime) -> bool:
    """A group the account has just been seen in (a message came through it there): its
    own if no account serves it, or if the account that does is gone. True if the
    account serves it."""
    await execute(
        """INSERT INTO group_sender (group_id, account, seen_at) VALUES (:group_id, :account, :now)
        ON CONFLICT (group_id) DO UPDATE SET account = excluded.account, seen_at = excluded.seen_at
        WHERE group_sender.account IS NULL OR group_sender.seen_at < :gone_before""",
        group_id=group_id,
        account=account,
        now=now,
        gone_before=now - GONE_AFTER,
    )
    return await GroupSender.filter(group_id=group_id, account=account).exists()


async def touch_groups(accounts: Sequence[str], now: datetime) -> None:
    """The heartbeat: these accounts are alive, their groups still theirs."""
    if accounts:
        await execute(
            "UPDATE group_sender SET seen_at = :now WHERE account IN (:accounts)", now=now, accounts=list(accounts)
        )


async def leave_group(group_id: int, accounts: Sequence[str], now: datetime) -> bool:
    """A send found that the account serving this group is no longer in it: the group
    waits for another account in it to take it over. False if none of `accounts` served
    it (then no account is known to be there)."""
    return (
        await execute(
            "UPDATE group_sender SET account = NULL, seen_at = :now WHERE group_id = :group_id AND account IN (:accounts)",
            group_id=group_id,
            accounts=list(accounts),
            now=now,
        )
        == 1
    )


async def release(message_id: int, worker: str) -> None:
    """Back to the queue as it was, for another sender."""
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status=OutboxStatus.pending).update(claimed_until=None)


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


async def notify(kind: OutboxKind, channel: Channel, targets: Iterable[int], key: str, text: str, now: datetime) -> int:
    """The same message to several targets, each once (their event keys are unique)."""
    sent = 0
    for target in targets:
        sent += await enqueue(kind, channel, target, key, text, now)
    return sent
