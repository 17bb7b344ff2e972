"""The one module that reads and writes the database.

Everything above it speaks in domain terms; IntegrityError never leaves this module
except as a domain outcome (a duplicate report, an existing buyer).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.categories import Category
from bot.models import (
    Buyer,
    Decision,
    GuideCase,
    JointCase,
    JointEvidence,
    JointMember,
    OutboxMessage,
    Report,
    Shop,
    Subscription,
)
from bot.verdict import Level, ReportFact, Verdict


class DuplicateReport(Exception):
    """The same shop already reported the same order (or, without an order number, the
    same kind) for this buyer."""


async def shop_of(owner: str) -> Shop | None:
    return await Shop.get_or_none(owner=owner)


async def bind_shop(owner: str, platform: str, name: str) -> tuple[Shop, str | None]:
    """Create the owner's shop or rename it. Returns the shop and its previous name
    (None when it is new)."""
    shop = await Shop.get_or_none(owner=owner)
    if shop is None:
        try:
            return await Shop.create(owner=owner, platform=platform, name=name), None
        except IntegrityError:
            # The same account bound twice at once from two groups: the other won.
            shop = await Shop.get(owner=owner)
    previous = shop.name
    shop.platform = platform
    shop.name = name
    await shop.save(update_fields=["platform", "name", "updated_at"])
    return shop, previous


async def buyer_for(platform: str, buyer_key: str) -> Buyer:
    """Get or create; safe when many shops report a new buyer at the same instant."""
    buyer = await Buyer.get_or_none(platform=platform, buyer_key=buyer_key)
    if buyer is not None:
        return buyer
    try:
        return await Buyer.create(platform=platform, buyer_key=buyer_key)
    except IntegrityError:
        return await Buyer.get(platform=platform, buyer_key=buyer_key)


@dataclass(frozen=True)
class LinkedReport:
    fact: ReportFact
    platform: str
    buyer_key: str


@dataclass(frozen=True)
class BuyerEvidence:
    """Active reports on the buyer itself, and on other accounts that share a phone or
    address hash with it (its own reports' hashes, plus those given with the check)."""

    buyer_id: int | None
    own: list[ReportFact]
    linked: list[LinkedReport]


# The check is the hot path (README: benchmark), so its two queries are written as SQL:
# building them through the query builder cost more than running them. The hash
# lookups say CROSS JOIN: SQLite then keeps report (searched by the hash index) as the
# outer loop, where its planner would otherwise scan buyer when most hashes are NULL;
# PostgreSQL reads it as a plain inner join.
_OWN_BY_KEY = """
SELECT b.id, r.shop_id, r.category, r.created_at, r.phone_hash, r.address_hash
FROM buyer b LEFT JOIN report r ON r.buyer_id = b.id AND r.retracted_at IS NULL
WHERE b.platform = ? AND b.buyer_key = ?"""
_OWN_BY_ID = """
SELECT r.buyer_id, r.shop_id, r.category, r.created_at, r.phone_hash, r.address_hash
FROM report r WHERE r.buyer_id = ? AND r.retracted_at IS NULL"""
_LINKED = """
SELECT r.shop_id, r.category, r.created_at, r.buyer_id, r.phone_hash, b.platform, b.buyer_key
FROM report r CROSS JOIN buyer b
WHERE b.id = r.buyer_id AND r.retracted_at IS NULL AND r.buyer_id <> ? AND ({condition})"""


def _for_postgres(sql: str) -> str:
    """The statements here are written with SQLite's `?`; asyncpg wants `$1, $2, …`."""
    numbered = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(numbered)}", sql)


async def _select(sql: str, values: list) -> list:
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = _for_postgres(sql)
    return (await connection.execute_query(sql, values))[1]


def _sqlite_time(value: datetime) -> str:
    """A datetime as Tortoise stores it in SQLite (ISO text in UTC), for raw SQL that
    compares with stored values."""
    return value.astimezone(timezone.utc).isoformat(sep=" ")


def _timestamp(value: datetime | str) -> datetime:
    # asyncpg returns datetimes; SQLite returns the stored ISO text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def evidence_for(
    phone_hashes: set[str],
    address_hashes: set[str],
    *,
    buyer_id: int | None = None,
    platform: str | None = None,
    buyer_key: str | None = None,
) -> BuyerEvidence:
    """By buyer_id, or by (platform, buyer_key) for a buyer that may not exist yet."""
    if buyer_id is not None:
        rows = await _select(_OWN_BY_ID, [buyer_id])
    else:
        rows = await _select(_OWN_BY_KEY, [platform, buyer_key])
        buyer_id = rows[0][0] if rows else None

    own: list[ReportFact] = []
    phones = set(phone_hashes)
    addresses = set(address_hashes)
    for row in rows:
        if row[1] is None:  # the buyer exists but has no active report
            continue
        own.append(ReportFact(row[1], Category(row[2]), _timestamp(row[3]), row[0]))
        if row[4]:
            phones.add(row[4])
        if row[5]:
            addresses.add(row[5])

    linked: list[LinkedReport] = []
    if phones or addresses:
        conditions = []
        values: list = [buyer_id if buyer_id is not None else -1]
        if phones:
            conditions.append(f"r.phone_hash IN ({', '.join('?' * len(phones))})")
            values.extend(sorted(phones))
        if addresses:
            conditions.append(f"r.address_hash IN ({', '.join('?' * len(addresses))})")
            values.extend(sorted(addresses))
        for row in await _select(_LINKED.format(condition=" OR ".join(conditions)), values):
            by = "phone" if row[4] is not None and row[4] in phones else "address"
            fact = ReportFact(row[0], Category(row[1]), _timestamp(row[2]), row[3], by)
            linked.append(LinkedReport(fact, row[5], row[6]))
    return BuyerEvidence(buyer_id, own, linked)


# Batches for screening a whole export: large enough that 100,000 buyers take ~50
# round trips, small enough for SQLite's bound-parameter limit.
_BATCH = 2000

_REPORTS_FOR_BUYERS = """
SELECT b.buyer_key, r.shop_id, r.category, r.created_at, r.buyer_id
FROM buyer b JOIN report r ON r.buyer_id = b.id AND r.retracted_at IS NULL
WHERE b.platform = ? AND b.buyer_key IN ({keys})"""
_REPORTS_BY_HASH = """
SELECT r.{column}, r.shop_id, r.category, r.created_at, r.buyer_id, b.platform, b.buyer_key
FROM report r CROSS JOIN buyer b
WHERE b.id = r.buyer_id AND r.retracted_at IS NULL AND r.{column} IN ({keys})"""


async def reports_for_buyers(platform: str, buyer_keys: list[str], progress=None) -> dict[str, list[ReportFact]]:
    found: dict[str, list[ReportFact]] = {}
    for start in range(0, len(buyer_keys), _BATCH):
        batch = buyer_keys[start : start + _BATCH]
        sql = _REPORTS_FOR_BUYERS.format(keys=", ".join("?" * len(batch)))
        for row in await _select(sql, [platform, *batch]):
            found.setdefault(row[0], []).append(ReportFact(row[1], Category(row[2]), _timestamp(row[3]), row[4]))
        if progress:
            progress("比对黑名单", min(start + _BATCH, len(buyer_keys)), len(buyer_keys))
    return found


async def reports_by_hashes(phone_hashes: list[str], address_hashes: list[str]) -> dict[str, list[LinkedReport]]:
    """Active reports carrying any of these hashes, by hash."""
    found: dict[str, list[LinkedReport]] = {}
    for column, kind, hashes in (("phone_hash", "phone", phone_hashes), ("address_hash", "address", address_hashes)):
        for start in range(0, len(hashes), _BATCH):
            batch = hashes[start : start + _BATCH]
            sql = _REPORTS_BY_HASH.format(column=column, keys=", ".join("?" * len(batch)))
            for row in await _select(sql, batch):
                fact = ReportFact(row[1], Category(row[2]), _timestamp(row[3]), row[4], kind)
                found.setdefault(row[0], []).append(LinkedReport(fact, row[5], row[6]))
    return found


@dataclass(frozen=True)
class ExportRow:
    id: int
    platform: str
    buyer_key: str
    category: str
    shop_name: str
    order_no: str | None
    amount_fen: int | None
    phone_mask: str | None
    address_mask: str | None
    description: str
    created_at: datetime


_EXPORT = """
SELECT r.id, b.platform, b.buyer_key, r.category, s.name, r.order_no, r.amount_fen, r.phone_mask,
       r.address_mask, r.description, r.created_at
FROM report r JOIN buyer b ON b.id = r.buyer_id JOIN shop s ON s.id = r.shop_id
WHERE r.retracted_at IS NULL AND r.id > ? ORDER BY r.id LIMIT 5000"""


async def active_reports_for_export():
    """Every active report, in pages by id (a million rows never sit in memory)."""
    last = 0
    while True:
        rows = await _select(_EXPORT, [last])
        if not rows:
            return
        for row in rows:
            yield ExportRow(*row[:10], _timestamp(row[10]))
        last = rows[-1][0]


@dataclass(frozen=True)
class NewReport:
    shop_id: int
    buyer_id: int
    category: str
    order_no: str | None
    amount_fen: int | None
    description: str
    phone_hash: str | None
    phone_mask: str | None
    address_hash: str | None
    address_mask: str | None
    dedup_key: str
    created_at: datetime


Judge = Callable[[], Awaitable[Verdict]]
# Awaited inside the transaction of a decision, with the report, the new verdict and the
# decision's id: what must happen atomically with a change of verdict (alerts).
OnDecided = Callable[[Report, Verdict, int], Awaitable[None]]


async def insert_report(
    new: NewReport, level_before: Level, judge: Judge, on_decided: OnDecided | None = None
) -> tuple[Report, Verdict]:
    """Insert the report and log the decision in one transaction. `judge` runs inside
    the transaction after the insert, so the verdict it logs includes the new report.

    Raises DuplicateReport when the unique (shop, buyer, dedup_key) constraint fires."""
    try:
        async with in_transaction():
            report = await Report.create(**new.__dict__)
            verdict = await _log(report, "report", level_before, judge, on_decided)
            return report, verdict
    except IntegrityError as exc:
        raise DuplicateReport() from exc


async def existing_report(shop_id: int, buyer_id: int, dedup_key: str) -> Report:
    return await Report.get(shop_id=shop_id, buyer_id=buyer_id, dedup_key=dedup_key)


async def reactivate_report(
    report: Report,
    new: NewReport,
    now: datetime,
    level_before: Level,
    judge: Judge,
    on_decided: OnDecided | None = None,
) -> Verdict | None:
    """A retracted report filed again becomes active again with the new details.
    Returns None when another request reactivated it first."""
    async with in_transaction():
        changed = await Report.filter(id=report.id, retracted_at__not_isnull=True).update(
            retracted_at=None,
            category=new.category,
            amount_fen=new.amount_fen,
            description=new.description,
            phone_hash=new.phone_hash,
            phone_mask=new.phone_mask,
            address_hash=new.address_hash,
            address_mask=new.address_mask,
            created_at=now,
        )
        if not changed:
            return None
        await report.refresh_from_db()
        return await _log(report, "rereport", level_before, judge, on_decided)


async def report_by_id(report_id: int) -> Report | None:
    return await Report.get_or_none(id=report_id).select_related("buyer")


async def retract_report(
    report: Report, now: datetime, level_before: Level, judge: Judge, on_decided: OnDecided | None = None
) -> Verdict | None:
    """Mark retracted and log it in one transaction; None if it was already retracted
    (two retractions racing: only one is logged)."""
    async with in_transaction():
        changed = await Report.filter(id=report.id, retracted_at=None).update(retracted_at=now)
        if not changed:
            return None
        report.retracted_at = now
        return await _log(report, "retract", level_before, judge, on_decided)


async def _log(report: Report, kind: str, level_before: Level, judge: Judge, on_decided: OnDecided | None) -> Verdict:
    verdict = await judge()
    decision = await Decision.create(
        kind=kind,
        shop_id=report.shop_id,
        buyer_id=report.buyer_id,
        report_id=report.id,
        level_before=level_before.value,
        level_after=verdict.level.value,
        score_after=verdict.score,
    )
    if on_decided is not None:
        await on_decided(report, verdict, decision.id)
    return verdict


async def decisions_for_buyer(buyer_id: int) -> list[Decision]:
    return await Decision.filter(buyer_id=buyer_id).order_by("id")


async def shop_names(shop_ids: set[int]) -> dict[int, str]:
    rows = await Shop.filter(id__in=sorted(shop_ids)).values("id", "name")
    return {row["id"]: row["name"] for row in rows}


# -- guided handling ------------------------------------------------------------------


async def open_guide_case(
    shop_id: int, scenario: str, platform: str | None, buyer_key: str | None, order_no: str | None
) -> GuideCase | None:
    return (
        await GuideCase.filter(
            shop_id=shop_id, scenario=scenario, platform=platform, buyer_key=buyer_key, order_no=order_no, status="open"
        )
        .order_by("-id")
        .first()
    )


async def create_guide_case(**values) -> GuideCase:
    return await GuideCase.create(**values)


async def save_guide_case(case: GuideCase) -> None:
    await case.save()


async def guide_case(case_id: int) -> GuideCase | None:
    return await GuideCase.get_or_none(id=case_id)


async def open_guide_cases(shop_id: int) -> list[GuideCase]:
    return await GuideCase.filter(shop_id=shop_id, status="open").order_by("-updated_at")


async def active_guide_session(shop_id: int, chat: str, now: datetime) -> GuideCase | None:
    return (
        await GuideCase.filter(shop_id=shop_id, chat=chat, status="open", session_until__gt=now)
        .order_by("-updated_at")
        .first()
    )


async def due_guide_reminders(now: datetime) -> list[GuideCase]:
    return await GuideCase.filter(status="open", remind_at__lte=now).select_related("shop").order_by("remind_at")


async def other_shops_reporting(platform: str, buyer_key: str, shop_id: int) -> int:
    shops = (
        await Report.filter(buyer__platform=platform, buyer__buyer_key=buyer_key, retracted_at=None)
        .exclude(shop_id=shop_id)
        .values_list("shop_id", flat=True)
    )
    return len(set(shops))


# -- alerts, digests and the outbox ----------------------------------------------------


async def mark_alerted(buyer_id: int) -> bool:
    """True for the one caller that moves the buyer into the alerted state."""
    return await Buyer.filter(id=buyer_id, alerted=False).update(alerted=True) == 1


async def clear_alerted(buyer_id: int) -> None:
    await Buyer.filter(id=buyer_id, alerted=True).update(alerted=False)


async def buyer(buyer_id: int) -> Buyer:
    return await Buyer.get(id=buyer_id)


async def subscription(group_id: int) -> Subscription | None:
    return await Subscription.get_or_none(group_id=group_id)


async def subscribe(group_id: int, digest_time: str, by: str) -> Subscription:
    found = await Subscription.get_or_none(group_id=group_id)
    if found is None:
        try:
            return await Subscription.create(group_id=group_id, digest_time=digest_time, subscribed_by=by)
        except IntegrityError:
            found = await Subscription.get(group_id=group_id)
    found.digest_time, found.active, found.delivery, found.subscribed_by = digest_time, True, "ok", by
    await found.save()
    return found


async def unsubscribe(group_id: int) -> bool:
    return await Subscription.filter(group_id=group_id, active=True).update(active=False) == 1


async def deliverable_subscriptions() -> list[Subscription]:
    return await Subscription.filter(active=True, delivery="ok").order_by("group_id")


async def enqueue_for_subscribers(kind: str, event_key: str, text: str, now: datetime) -> int:
    """Queue one message for every deliverable subscribed group, in one statement (an
    alert for 2,000 groups must commit within the report's transaction quickly). A
    message already queued for the same (group, event) is left as it is."""
    return await _execute(
        "INSERT INTO outbox (kind, channel, group_id, event_key, text, status, attempts, next_attempt_at, created_at)"
        " SELECT ?, 'group', group_id, ?, ?, 'pending', 0, ?, ? FROM subscription WHERE active = ? AND delivery = 'ok'"
        " ON CONFLICT (group_id, event_key) DO NOTHING",
        [kind, event_key, text, now, now, True],
    )


async def enqueue_private(kind: str, user_id: int, event_key: str, text: str, now: datetime) -> bool:
    """Queue a private message to a QQ user; False if this event was queued already.
    (event_key carries the event's kind, so it cannot collide with a group's keys.)"""
    return (
        await _execute(
            "INSERT INTO outbox (kind, channel, group_id, event_key, text, status, attempts, next_attempt_at, created_at)"
            " VALUES (?, 'private', ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (group_id, event_key) DO NOTHING",
            [kind, user_id, event_key, text, now, now],
        )
        == 1
    )


async def enqueue_fallback(
    channel: str, target: int, mention: int | None, event_key: str, text: str, now: datetime
) -> bool:
    """Queue what stands in for an undeliverable message (bot/outbox.py); kind
    "fallback", which never falls back again."""
    return (
        await _execute(
            "INSERT INTO outbox (kind, channel, group_id, mention, event_key, text, status, attempts, next_attempt_at, created_at)"
            " VALUES ('fallback', ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (group_id, event_key) DO NOTHING",
            [channel, target, mention, event_key[:80], text, now, now],
        )
        == 1
    )


async def remember_group(shop_id: int, group_id: int) -> None:
    await Shop.filter(id=shop_id).update(group_id=group_id)


async def claim_outbox(worker: str, now: datetime, lease_until: datetime, limit: int) -> list[OutboxMessage]:
    """Claim due messages for this sender. PostgreSQL: FOR UPDATE SKIP LOCKED, so two
    bot processes never claim the same row; SQLite serialises writers, and each claim
    is a conditional UPDATE that only one process can win."""
    connection = get_connection("default")
    due = "status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)"
    if connection.capabilities.dialect == "postgres":
        # A CTE, because Tortoise's asyncpg execute_query returns no rows for a bare UPDATE.
        sql = f"""
            WITH claimed AS (
                UPDATE outbox SET claimed_by = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM outbox WHERE {due} ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING id)
            SELECT id FROM claimed"""
        params = [worker, lease_until, now, now, limit]
    else:
        # One statement: SQLite runs it under its single write lock.
        sql = f"""
            UPDATE outbox SET claimed_by = ?, claimed_until = ?
            WHERE id IN (SELECT id FROM outbox WHERE {due} ORDER BY id LIMIT ?) RETURNING id"""
        params = [worker, _sqlite_time(lease_until), _sqlite_time(now), _sqlite_time(now), limit]
    ids = [row[0] for row in await _select(sql, params)]
    return await OutboxMessage.filter(id__in=ids).order_by("id") if ids else []


async def _execute(sql: str, values: list) -> int:
    """Run a write statement; returns the number of rows it changed."""
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = _for_postgres(sql)
        if sql.lstrip().upper().startswith("INSERT"):
            # Tortoise reads the count of "INSERT <oid> <rows>" from the wrong place
            # (always 0), so an INSERT counts its rows itself.
            rows = await connection.execute_query(f"WITH done AS ({sql} RETURNING 1) SELECT count(*) FROM done", values)
            return rows[1][0][0]
    else:
        values = [_sqlite_time(v) if isinstance(v, datetime) else v for v in values]
    return (await connection.execute_query(sql, values))[0]


async def mark_sent(message_id: int, worker: str, now: datetime) -> bool:
    # SQL rather than the query builder: the sender runs this once per message.
    return (
        await _execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL"
            " WHERE id = ? AND claimed_by = ? AND status = 'pending'",
            [now, message_id, worker],
        )
        == 1
    )


async def mark_retry(
    message_id: int, worker: str, attempts: int, next_attempt_at: datetime, error: str, give_up: bool
) -> None:
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status="pending").update(
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        last_error=error[:255],
        claimed_until=None,
        status="failed" if give_up else "pending",
    )


async def mark_folded(message_id: int, worker: str) -> None:
    await OutboxMessage.filter(id=message_id, claimed_by=worker, status="pending").update(
        status="folded", claimed_until=None
    )


async def drop_group(group_id: int, delivery: str, error: str) -> None:
    async with in_transaction():
        await Subscription.filter(group_id=group_id).update(delivery=delivery)
        await OutboxMessage.filter(group_id=group_id, status="pending").update(status="dropped", last_error=error[:255])


async def new_high_risk_since(since: datetime) -> list[tuple[str, str, str]]:
    """(platform, buyer_key, level) of buyers that crossed into 高风险 or worse since."""
    rows = (
        await Decision.filter(created_at__gt=since, level_after__in=["高风险", "极高风险"])
        .exclude(level_before__in=["高风险", "极高风险"])
        .order_by("id")
        .values("buyer__platform", "buyer__buyer_key", "level_after")
    )
    seen: dict[tuple[str, str], str] = {}
    for row in rows:
        seen[(row["buyer__platform"], row["buyer__buyer_key"])] = row["level_after"]
    return [(p, k, level) for (p, k), level in seen.items()]


async def reports_by_category_since(since: datetime) -> dict[str, int]:
    return dict(
        Counter(await Report.filter(created_at__gt=since, retracted_at=None).values_list("category", flat=True))
    )


async def report_days_since(since: datetime) -> list[tuple[datetime, str]]:
    rows = await Report.filter(created_at__gt=since, retracted_at=None).values_list("created_at", "category")
    return [(created_at, category) for created_at, category in rows]


async def folded_alerts(group_id: int, since: datetime) -> list[str]:
    return (
        await OutboxMessage.filter(group_id=group_id, status="folded", created_at__gt=since)
        .order_by("id")
        .values_list("text", flat=True)
    )


async def record_digest(message: OutboxMessage, subscription_id: int, at: datetime) -> bool:
    """Queue a digest and move the group's digest mark, in one transaction. False when
    this digest was queued already (another process, or before a restart)."""
    try:
        async with in_transaction():
            await OutboxMessage.create(
                **{
                    k: getattr(message, k)
                    for k in ("kind", "group_id", "event_key", "text", "image", "next_attempt_at", "created_at")
                }
            )
            await Subscription.filter(id=subscription_id).update(last_digest_at=at)
        return True
    except IntegrityError:
        return False


# -- joint cases ------------------------------------------------------------------------


async def recent_reporting_shops(buyer_id: int, since: datetime) -> list[int]:
    rows = await Report.filter(buyer_id=buyer_id, retracted_at=None, created_at__gte=since).values_list(
        "shop_id", flat=True
    )
    return sorted(set(rows))


async def joint_case_for_buyer(buyer_id: int) -> JointCase | None:
    return await JointCase.get_or_none(buyer_id=buyer_id)


async def create_joint_case(buyer_id: int, now: datetime) -> bool:
    """True for the one caller that opens the buyer's case. ON CONFLICT, not a caught
    IntegrityError: this runs inside the report's transaction, which PostgreSQL would
    abort on the error."""
    return (
        await _execute(
            "INSERT INTO joint_case (buyer_id, status, status_changes, created_at, updated_at)"
            " VALUES (?, '收集证据', 0, ?, ?) ON CONFLICT (buyer_id) DO NOTHING",
            [buyer_id, now, now],
        )
        == 1
    )


async def add_joint_member(case_id: int, shop_id: int, now: datetime) -> bool:
    return (
        await _execute(
            "INSERT INTO joint_member (case_id, shop_id, state, invited_at) VALUES (?, ?, 'invited', ?)"
            " ON CONFLICT (case_id, shop_id) DO NOTHING",
            [case_id, shop_id, now],
        )
        == 1
    )


async def joint_case(case_id: int) -> JointCase | None:
    return await JointCase.get_or_none(id=case_id).select_related("buyer")


async def joint_member(case_id: int, shop_id: int) -> JointMember | None:
    return await JointMember.get_or_none(case_id=case_id, shop_id=shop_id)


async def joint_members(case_id: int) -> list[JointMember]:
    return await JointMember.filter(case_id=case_id).select_related("shop").order_by("id")


async def memberships(shop_id: int) -> list[JointMember]:
    return (
        await JointMember.filter(shop_id=shop_id)
        .exclude(state="left")
        .select_related("case__buyer")
        .order_by("-case_id")
    )


async def save(instance) -> None:
    await instance.save()


async def bump_joint_status(case: JointCase, status: str, now: datetime, remind_at: datetime | None) -> int:
    """Set a new status; returns the change's sequence number (for its broadcast key)."""
    async with in_transaction():
        await JointCase.filter(id=case.id).update(
            status=status, status_at=now, remind_at=remind_at, status_changes=F("status_changes") + 1
        )
        return (await JointCase.get(id=case.id)).status_changes


async def shop_reports_on_buyer(buyer_id: int, shop_ids: list[int]) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id, shop_id__in=shop_ids, retracted_at=None).order_by("created_at")


async def add_joint_evidence(
    case_id: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    return (
        await _execute(
            "INSERT INTO joint_evidence (case_id, shop_id, description, sha256, file_name, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, sha256) DO NOTHING",
            [case_id, shop_id, description, sha256, file_name, now],
        )
        == 1
    )


async def joint_evidence(case_id: int) -> list[JointEvidence]:
    return await JointEvidence.filter(case_id=case_id).select_related("shop").order_by("id")


async def due_joint_reminders(now: datetime) -> list[JointCase]:
    return await JointCase.filter(remind_at__lte=now, status__in=["已提交", "平台处理中"]).select_related("buyer")


async def set_joint_remind(case_id: int, at: datetime | None) -> None:
    await JointCase.filter(id=case_id).update(remind_at=at)


async def open_joint_case_counts() -> dict[str, int]:
    statuses = ["收集证据", "已提交", "平台处理中", "被驳回"]
    return dict(Counter(await JointCase.filter(status__in=statuses).values_list("status", flat=True)))
