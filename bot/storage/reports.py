"""Buyers, reports and the decision log of each filing and retraction: the shared
blacklist itself, and what is known about a buyer (the check's hot path)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.scoring.evidence import LinkedReport, OwnReports
from bot.scoring.verdict import Level, Verdict
from bot.states import DecisionKind, FilingOutcome, ReportState
from bot.storage._sql import (
    ACTIVE,
    COUNTS,
    FACT_COLUMNS,
    FACT_WIDTH,
    SHOP,
    Row,
    execute,
    fact,
    lock_buyer,
    select,
    to_datetime,
    transaction,
)
from bot.storage.models.reports import Buyer, Report, ReportEvidence, ReviewHold
from bot.storage.models.trust import Decision


async def buyer_for(platform: str, buyer_key: str) -> Buyer:
    """Get or create; safe when many shops report a new buyer at the same instant."""
    found = await Buyer.get_or_none(platform=platform, buyer_key=buyer_key)
    if found is not None:
        return found
    try:
        return await Buyer.create(platform=platform, buyer_key=buyer_key)
    except IntegrityError:
        return await Buyer.get(platform=platform, buyer_key=buyer_key)


async def buyer_by_id(buyer_id: int) -> Buyer:
    return await Buyer.get(id=buyer_id)


# SQL rather than the query builder: building these through it cost more than running
# them. Batches: large enough that 100,000 buyers take ~50 round trips, small enough
# for SQLite's bound-parameter limit.
_BATCH = 2000

# A buyer, whether an appeal is open, and its active reports with their hashes: one row
# per report (one row with NULLs for a buyer without any).
_OWN = f"""
SELECT {{key}}, b.id, b.platform, b.buyer_key, (SELECT COUNT(*) FROM appeal a WHERE a.open_buyer = b.id),
       {FACT_COLUMNS}, r.phone_hash, r.address_hash
FROM buyer b LEFT JOIN report r ON r.buyer_id = b.id AND {ACTIVE} LEFT JOIN shop s ON s.id = r.shop_id
WHERE {{buyers}}"""
_OWN_BY_KEYS = _OWN.format(key="b.buyer_key", buyers="b.platform = :platform AND b.buyer_key IN (:keys)")
_OWN_BY_IDS = _OWN.format(key="b.id", buyers="b.id IN (:ids)")
_FACTS_AT = 5

# The hash lookups say CROSS JOIN: SQLite then keeps report (searched by the hash index)
# as the outer loop, where its planner would otherwise scan buyer when most hashes are
# NULL; PostgreSQL reads it as a plain inner join.
_BY_HASH = f"""
SELECT r.{{column}}, {FACT_COLUMNS}, b.platform, b.buyer_key
FROM report r {SHOP} CROSS JOIN buyer b
WHERE b.id = r.buyer_id AND {ACTIVE} AND r.{{column}} IN (:{{hashes}}) AND r.buyer_id NOT IN (:except_buyers)"""
_BY_PHONE = _BY_HASH.format(column="phone_hash", hashes="phones")
_BY_ADDRESS = _BY_HASH.format(column="address_hash", hashes="addresses")
# Both kinds in one round trip (a /查 whose buyer's reports carry a phone and an address).
_BY_EITHER = f"""
SELECT r.phone_hash, r.address_hash, {FACT_COLUMNS}, b.platform, b.buyer_key
FROM report r {SHOP} CROSS JOIN buyer b
WHERE b.id = r.buyer_id AND {ACTIVE} AND (r.phone_hash IN (:phones) OR r.address_hash IN (:addresses))
AND r.buyer_id NOT IN (:except_buyers)"""


def _own_rows(rows: list[Row], found: dict[Any, OwnReports]) -> None:
    hashes_at = _FACTS_AT + FACT_WIDTH
    for row in rows:
        entry = found.get(row[0])
        if entry is None:
            entry = found[row[0]] = OwnReports(row[1], bool(row[4]), row[2], row[3])
        if row[_FACTS_AT] is None:  # the buyer exists but has no active report
            continue
        entry.facts.append(fact(row, _FACTS_AT))
        if row[hashes_at]:
            entry.phones.add(row[hashes_at])
        if row[hashes_at + 1]:
            entry.addresses.add(row[hashes_at + 1])


async def own_reports_by_keys(platform: str, buyer_keys: list[str]) -> dict[str, OwnReports]:
    """Buyer key → the buyer's id, open appeal, active reports and their hashes, for the
    buyers of one platform that are in the pool (the others are absent)."""
    found: dict[str, OwnReports] = {}
    for start in range(0, len(buyer_keys), _BATCH):
        _own_rows(await select(_OWN_BY_KEYS, platform=platform, keys=buyer_keys[start : start + _BATCH]), found)
    return found


async def own_reports_by_ids(buyer_ids: list[int]) -> dict[int, OwnReports]:
    found: dict[int, OwnReports] = {}
    for start in range(0, len(buyer_ids), _BATCH):
        _own_rows(await select(_OWN_BY_IDS, ids=buyer_ids[start : start + _BATCH]), found)
    return found


async def reports_by_hashes(
    phone_hashes: list[str], address_hashes: list[str], except_buyers: Sequence[int] = ()
) -> dict[str, list[LinkedReport]]:
    """Active reports carrying any of these hashes, by hash, except those on
    `except_buyers` (a /查's own buyer, whose reports it has); each linked by the kind of
    hash it was found by."""
    found: dict[str, list[LinkedReport]] = {}

    def add(rows: list[Row]) -> None:
        for row in rows:
            digest = row[0]
            kind = "phone" if digest in phones else "address"
            found.setdefault(digest, []).append(
                LinkedReport(fact(row, 1, kind), row[1 + FACT_WIDTH], row[2 + FACT_WIDTH])
            )

    phones = set(phone_hashes)
    if 0 < len(phone_hashes) <= _BATCH and 0 < len(address_hashes) <= _BATCH:
        addresses = set(address_hashes)
        for row in await select(_BY_EITHER, phones=phone_hashes, addresses=address_hashes, except_buyers=except_buyers):
            # A report found by both is linked by each (the assembly counts it once).
            if row[0] in phones:
                found.setdefault(row[0], []).append(
                    LinkedReport(fact(row, 2, "phone"), row[2 + FACT_WIDTH], row[3 + FACT_WIDTH])
                )
            if row[1] in addresses:
                found.setdefault(row[1], []).append(
                    LinkedReport(fact(row, 2, "address"), row[2 + FACT_WIDTH], row[3 + FACT_WIDTH])
                )
        return found
    for start in range(0, len(phone_hashes), _BATCH):
        add(await select(_BY_PHONE, phones=phone_hashes[start : start + _BATCH], except_buyers=except_buyers))
    for start in range(0, len(address_hashes), _BATCH):
        add(await select(_BY_ADDRESS, addresses=address_hashes[start : start + _BATCH], except_buyers=except_buyers))
    return found


async def other_shops_reporting(platform: str, buyer_key: str, shop_id: int) -> int:
    rows = await select(
        f"""SELECT COUNT(DISTINCT r.shop_id) FROM report r JOIN buyer b ON b.id = r.buyer_id
        WHERE b.platform = :platform AND b.buyer_key = :buyer_key AND {ACTIVE} AND r.shop_id <> :shop_id""",
        platform=platform,
        buyer_key=buyer_key,
        shop_id=shop_id,
    )
    return int(rows[0][0])


async def platforms_listing(platforms: list[str], buyer_key: str) -> list[str]:
    """Of `platforms`, those on which this buyer id has an active report (a /查 or /申诉
    that names no platform looks on every one). The platforms are listed so that the
    (platform, buyer_key) index finds the buyers."""
    rows = await select(
        f"""SELECT DISTINCT b.platform FROM buyer b JOIN report r ON r.buyer_id = b.id
        WHERE b.platform IN (:platforms) AND b.buyer_key = :buyer_key AND {ACTIVE}""",
        platforms=platforms,
        buyer_key=buyer_key,
    )
    return sorted(str(row[0]) for row in rows)


async def reports_of_shops_on_buyer(buyer_id: int, shop_ids: list[int]) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id, shop_id__in=shop_ids, state=ReportState.active).order_by("created_at")


async def recent_reporting_shops(buyer_id: int, since: datetime) -> list[int]:
    """Shops with an active report since, that count: verified, with an order number
    (DESIGN.md §7; joint cases follow the same count as the levels)."""
    rows = await select(
        f"""SELECT DISTINCT r.shop_id FROM report r {SHOP}
        WHERE r.buyer_id = :buyer_id AND r.created_at >= :since AND {COUNTS}""",
        buyer_id=buyer_id,
        since=since,
    )
    return sorted(row[0] for row in rows)


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


_EXPORT = f"""
SELECT r.id, b.platform, b.buyer_key, r.category, s.name, r.order_no, r.amount_fen, r.phone_mask,
       r.address_mask, r.description, r.created_at
FROM report r JOIN buyer b ON b.id = r.buyer_id JOIN shop s ON s.id = r.shop_id
WHERE {ACTIVE} AND r.id > :after ORDER BY r.id LIMIT 5000"""


async def active_reports_for_export() -> AsyncIterator[ExportRow]:
    """Every active report, in pages by id (a million rows never sit in memory)."""
    last = 0
    while True:
        rows = await select(_EXPORT, after=last)
        if not rows:
            return
        for row in rows:
            yield ExportRow(
                id=row[0],
                platform=row[1],
                buyer_key=row[2],
                category=row[3],
                shop_name=row[4],
                order_no=row[5],
                amount_fen=row[6],
                phone_mask=row[7],
                address_mask=row[8],
                description=row[9],
                created_at=to_datetime(row[10]),
            )
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
    # The shop's reports on this buyer were removed on appeal: this one waits for a 版主.
    held: bool = False


# The verdict on the buyer as it stands (inside the transaction: including the change).
Judge = Callable[[], Awaitable[Verdict]]


# Awaited inside the transaction of a decision, with the report, the level before, the
# new verdict, the decision's id and its kind: what must happen atomically with a change
# of verdict (alerts, corrections, joint cases).
OnDecided = Callable[[Report, Level, Verdict, int, DecisionKind], Awaitable[None]]


@dataclass(frozen=True)
class Change:
    """What a filing or a retraction did: the report, the buyer's level before it (read
    in the same transaction) and the verdict after."""

    report: Report
    outcome: FilingOutcome
    level_before: Level
    verdict: Verdict


_INSERT_REPORT = """
INSERT INTO report (shop_id, buyer_id, category, order_no, amount_fen, description, phone_hash, phone_mask,
                    address_hash, address_mask, dedup_key, created_at, held, state)
VALUES (:shop_id, :buyer_id, :category, :order_no, :amount_fen, :description, :phone_hash, :phone_mask,
        :address_hash, :address_mask, :dedup_key, :created_at, :held, :active_state)
ON CONFLICT (shop_id, buyer_id, dedup_key) DO NOTHING RETURNING id"""


async def file_report(new: NewReport, judge: Judge, on_decided: OnDecided | None = None) -> Change:
    """Store a report, or recognise it as one already filed (the same shop, buyer and
    order or kind: the unique constraint decides, also across processes), or make a
    retracted one active again. The level before, the change, the decision and whatever
    on_decided queues happen in one transaction."""
    async with transaction():
        await lock_buyer(new.buyer_id)
        before = (await judge()).level
        rows = await select(_INSERT_REPORT, **new.__dict__)
        if rows:
            report = await Report.get(id=rows[0][0])
            return Change(
                report, FilingOutcome.new, before, await _log(report, DecisionKind.report, before, judge, on_decided)
            )
        report = await Report.get(shop_id=new.shop_id, buyer_id=new.buyer_id, dedup_key=new.dedup_key)
        if report.state == ReportState.removed:
            return Change(report, FilingOutcome.removed, before, await judge())
        if report.state != ReportState.retracted:
            return Change(report, FilingOutcome.duplicate, before, await judge())
        await Report.filter(id=report.id).update(
            state=ReportState.active,
            retracted_at=None,
            category=new.category,
            amount_fen=new.amount_fen,
            description=new.description,
            phone_hash=new.phone_hash,
            phone_mask=new.phone_mask,
            address_hash=new.address_hash,
            address_mask=new.address_mask,
            created_at=new.created_at,
            held=new.held,
        )
        await report.refresh_from_db()
        verdict = await _log(report, DecisionKind.rereport, before, judge, on_decided)
        return Change(report, FilingOutcome.reactivated, before, verdict)


async def report_by_id(report_id: int) -> Report | None:
    return await Report.get_or_none(id=report_id).select_related("buyer")


async def retract_report(
    report: Report, now: datetime, judge: Judge, on_decided: OnDecided | None = None
) -> Change | None:
    """Mark an active report retracted and log it in one transaction; None if it was not
    active any more (two retractions racing: only one is logged)."""
    async with transaction():
        await lock_buyer(report.buyer_id)
        before = (await judge()).level
        changed = await execute(
            "UPDATE report SET state = :retracted, retracted_at = :now WHERE id = :id AND state = :active_state",
            retracted=ReportState.retracted,
            now=now,
            id=report.id,
        )
        if not changed:
            return None
        report.state, report.retracted_at = ReportState.retracted, now
        verdict = await _log(report, DecisionKind.retract, before, judge, on_decided)
        return Change(report, FilingOutcome.new, before, verdict)


async def _log(
    report: Report, kind: DecisionKind, level_before: Level, judge: Judge, on_decided: OnDecided | None
) -> Verdict:
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
        await on_decided(report, level_before, verdict, decision.id, kind)
    return verdict


async def reports_of_shop(shop_id: int, limit: int = 500) -> list[Report]:
    """A shop's own reports, newest first (the API and the dashboard)."""
    return await Report.filter(shop_id=shop_id).select_related("buyer").order_by("-id").limit(limit)


async def reports_filed_since(shop_id: int, since: datetime) -> int:
    return await Report.filter(shop_id=shop_id, created_at__gte=since).count()


async def removed_reports_of_shop_since(shop_id: int, since: datetime) -> int:
    return await Decision.filter(shop_id=shop_id, kind=DecisionKind.remove, created_at__gte=since).count()


async def reported_buyers(shop_id: int, states: Iterable[ReportState]) -> dict[int, int]:
    """buyer id → one of the shop's reports on it, among reports in these states."""
    rows = await Report.filter(shop_id=shop_id, state__in=list(states)).order_by("id").values("buyer_id", "id")
    found: dict[int, int] = {}
    for row in rows:
        found.setdefault(row["buyer_id"], row["id"])
    return found


async def report_ids_of_shop(shop_id: int, state: ReportState) -> list[int]:
    return list(await Report.filter(shop_id=shop_id, state=state).values_list("id", flat=True))  # type: ignore[arg-type]


async def set_report_states(report_ids: list[int], to: ReportState, from_states: Iterable[ReportState]) -> int:
    if not report_ids:
        return 0
    return await execute(
        "UPDATE report SET state = :to WHERE id IN (:ids) AND state IN (:from_states)",
        to=to,
        ids=report_ids,
        from_states=list(from_states),
    )


async def active_reports_on(buyer_id: int) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id, state=ReportState.active).select_related("shop").order_by("id")


async def reports_of_buyer(buyer_id: int) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id).select_related("shop").order_by("id")


# -- reports held for a 版主's review ----------------------------------------------------------


async def hold_reviews(shop_ids: Iterable[int], buyer_id: int, by: str, now: datetime) -> None:
    """After a removal on appeal: these shops' further reports on the buyer are held until
    a 版主 accepts one (a hold accepted before is set again)."""
    for shop_id in sorted(set(shop_ids)):
        await execute(
            """INSERT INTO review_hold (shop_id, buyer_id, held_by, created_at) VALUES (:shop_id, :buyer_id, :by, :now)
            ON CONFLICT (shop_id, buyer_id) DO UPDATE SET held_by = :by, created_at = :now, accepted_at = NULL,
            accepted_by = NULL""",
            shop_id=shop_id,
            buyer_id=buyer_id,
            by=by,
            now=now,
        )


async def review_pending(shop_id: int, buyer_id: int) -> bool:
    return await ReviewHold.exists(shop_id=shop_id, buyer_id=buyer_id, accepted_at__isnull=True)


async def held_reports() -> list[Report]:
    """Active reports waiting for a 版主, oldest first."""
    return (
        await Report.filter(held=True, state=ReportState.active)
        .select_related("shop", "buyer")
        .order_by("created_at", "id")
    )


async def release_held_report(report: Report, by: str, now: datetime) -> None:
    """The report counts now, and so will the shop's next ones on the buyer."""
    await Report.filter(id=report.id).update(held=False)
    await ReviewHold.filter(shop_id=report.shop_id, buyer_id=report.buyer_id).update(accepted_at=now, accepted_by=by)


async def add_report_evidence(report_id: int, kind: str, sha256: str, now: datetime) -> bool:
    """Keep a picture's SHA-256 with a report; False when that report has it already."""
    if await ReportEvidence.exists(report_id=report_id, sha256=sha256):
        return False
    try:
        await ReportEvidence.create(report_id=report_id, kind=kind, sha256=sha256, created_at=now)
    except IntegrityError:  # the same picture filed twice at the same instant
        return False
    return True


async def report_evidence(report_id: int) -> list[ReportEvidence]:
    return await ReportEvidence.filter(report_id=report_id).order_by("id")
