"""The one module that reads and writes the database.

Everything above it speaks in domain terms; IntegrityError never leaves this module
except as a domain outcome (a duplicate report, an existing buyer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import re
from datetime import datetime, timezone

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.categories import Category
from bot.models import Buyer, Decision, GuideCase, Report, Shop
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


async def _select(sql: str, values: list) -> list:
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        numbered = iter(range(1, len(values) + 1))
        sql = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)
    return (await connection.execute_query(sql, values))[1]


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


async def insert_report(new: NewReport, level_before: Level, judge: Judge) -> tuple[Report, Verdict]:
    """Insert the report and log the decision in one transaction. `judge` runs inside
    the transaction after the insert, so the verdict it logs includes the new report.

    Raises DuplicateReport when the unique (shop, buyer, dedup_key) constraint fires."""
    try:
        async with in_transaction():
            report = await Report.create(**new.__dict__)
            verdict = await _log(report, "report", level_before, judge)
            return report, verdict
    except IntegrityError as exc:
        raise DuplicateReport() from exc


async def existing_report(shop_id: int, buyer_id: int, dedup_key: str) -> Report:
    return await Report.get(shop_id=shop_id, buyer_id=buyer_id, dedup_key=dedup_key)


async def reactivate_report(report: Report, new: NewReport, now: datetime, level_before: Level, judge: Judge) -> Verdict | None:
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
        return await _log(report, "rereport", level_before, judge)


async def report_by_id(report_id: int) -> Report | None:
    return await Report.get_or_none(id=report_id).select_related("buyer")


async def retract_report(report: Report, now: datetime, level_before: Level, judge: Judge) -> Verdict | None:
    """Mark retracted and log it in one transaction; None if it was already retracted
    (two retractions racing: only one is logged)."""
    async with in_transaction():
        changed = await Report.filter(id=report.id, retracted_at=None).update(retracted_at=now)
        if not changed:
            return None
        report.retracted_at = now
        return await _log(report, "retract", level_before, judge)


async def _log(report: Report, kind: str, level_before: Level, judge: Judge) -> Verdict:
    verdict = await judge()
    await Decision.create(
        kind=kind,
        shop_id=report.shop_id,
        buyer_id=report.buyer_id,
        report_id=report.id,
        level_before=level_before.value,
        level_after=verdict.level.value,
        score_after=verdict.score,
    )
    return verdict


async def decisions_for_buyer(buyer_id: int) -> list[Decision]:
    return await Decision.filter(buyer_id=buyer_id).order_by("id")


async def shop_names(shop_ids: set[int]) -> dict[int, str]:
    rows = await Shop.filter(id__in=sorted(shop_ids)).values("id", "name")
    return {row["id"]: row["name"] for row in rows}


# -- guided handling ------------------------------------------------------------------


async def open_guide_case(shop_id: int, scenario: str, platform: str | None, buyer_key: str | None,
                          order_no: str | None) -> GuideCase | None:
    return await GuideCase.filter(
        shop_id=shop_id, scenario=scenario, platform=platform, buyer_key=buyer_key, order_no=order_no, status="open"
    ).order_by("-id").first()


async def create_guide_case(**values) -> GuideCase:
    return await GuideCase.create(**values)


async def save_guide_case(case: GuideCase) -> None:
    await case.save()


async def guide_case(case_id: int) -> GuideCase | None:
    return await GuideCase.get_or_none(id=case_id)


async def open_guide_cases(shop_id: int) -> list[GuideCase]:
    return await GuideCase.filter(shop_id=shop_id, status="open").order_by("-updated_at")


async def active_guide_session(shop_id: int, chat: str, now: datetime) -> GuideCase | None:
    return await GuideCase.filter(
        shop_id=shop_id, chat=chat, status="open", session_until__gt=now
    ).order_by("-updated_at").first()


async def due_guide_reminders(now: datetime) -> list[GuideCase]:
    return await GuideCase.filter(status="open", remind_at__lte=now).select_related("shop").order_by("remind_at")


async def other_shops_reporting(platform: str, buyer_key: str, shop_id: int) -> int:
    shops = await Report.filter(
        buyer__platform=platform, buyer__buyer_key=buyer_key, retracted_at=None
    ).exclude(shop_id=shop_id).values_list("shop_id", flat=True)
    return len(set(shops))
