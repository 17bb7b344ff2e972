"""Screening a whole order export against the pool: every order gets the verdict a /查
would give (bot/blacklist/verdicts.py), plus the flags only the file shows."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from bot.blacklist.verdicts import judge_subject
from bot.errors import BadInput
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.scoring.evidence import LinkedReport, OwnReports, Subject
from bot.scoring.red_flags import RedFlag
from bot.scoring.verdict import Level, Verdict
from bot.screening.flags import file_flags
from bot.screening.formats import GENERIC, ExportFormat, platform_of
from bot.screening.rows import KEYS_EVERY, NewKeys, OrderRow, parse_orders, paused_gc
from bot.screening.sheets import Column
from bot.states import PhoneColumn
from bot.storage._sql import database_in_process
from bot.storage.reports import own_reports_by_keys, reports_by_hashes

# (stage code of templates/labels.toml [ScreeningStage], rows done, rows in all)
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class ScreenedOrder:
    row: OrderRow
    verdict: Verdict


@dataclass
class ScreenReport:
    platform: Platform
    rows: int
    orders: list[ScreenedOrder]  # every readable row, in file order
    skipped: list[tuple[int, str]]  # (row number, why)
    missing_optional: list[Column]
    seconds: float = 0.0
    levels: Counter = field(default_factory=Counter)
    format: ExportFormat = GENERIC
    has_buyers: bool = True
    phones: PhoneColumn = PhoneColumn.readable
    damaged: int = 0
    # Orders that matched the pool, by what matched: "account", "phone", "address".
    matched: dict[str, int] = field(default_factory=dict)
    virtual_phones: int = 0  # orders whose phone is a privacy number (never matched)
    unreadable_buyers: int = 0  # rows screened without a buyer (an opaque buyer cell)
    under_review: list[str] = field(default_factory=list)  # 拼多多: 是否审核中 = 是
    platforms: dict[str, int] = field(default_factory=dict)  # an ERP's orders per platform

    @cached_property
    def flagged(self) -> list[ScreenedOrder]:
        """Orders worth a look (需警惕 or worse), highest score first."""
        found = [o for o in self.orders if o.verdict.level.rank >= Level.watch.rank]
        return sorted(found, key=lambda o: (-o.verdict.score, o.row.line))


async def screen(
    data: bytes,
    filename: str,
    platform: Platform,
    fingerprinter: Fingerprinter,
    now: datetime,
    progress: Progress | None = None,
) -> ScreenReport:
    started = time.perf_counter()
    with paused_gc():
        return await _screen(data, filename, platform, fingerprinter, now, progress, started)


async def _screen(data, filename, platform, fingerprinter, now, progress, started) -> ScreenReport:
    # Parsing is CPU work; in a thread, the bot keeps answering other groups meanwhile.
    # On PostgreSQL the blacklist lookups of the keys read so far run beside it; SQLite's
    # run after it (see database_in_process).
    keys_every = None if database_in_process() else KEYS_EVERY
    loop = asyncio.get_running_loop()
    arrivals: asyncio.Queue[NewKeys | None] = asyncio.Queue()

    def found(keys: NewKeys) -> None:
        loop.call_soon_threadsafe(arrivals.put_nowait, keys)

    lookups = asyncio.create_task(_pool_matches(arrivals, platform, progress))
    try:
        parsed = await asyncio.to_thread(parse_orders, data, filename, fingerprinter, found, keys_every)
    except BaseException:
        lookups.cancel()
        raise
    # After every key: the thread's calls were queued on the loop before its result.
    arrivals.put_nowait(None)
    own, linked = await lookups
    orders, skipped = parsed.orders, parsed.skipped
    if not orders:
        raise BadInput("sheets.no_rows", skipped=skipped[:5])
    platform = platform_of(parsed.format, platform)
    flags = file_flags(orders)
    file_platform = platform.value

    screened: list[ScreenedOrder] = []
    # A buyer's orders share their evidence, and orders nobody reported share a verdict
    # per combination of flags: judge each distinct case once, count per verdict.
    verdicts: dict[tuple, Verdict] = {}
    unreported: dict[tuple[RedFlag, ...], Verdict] = {}
    orders_per_verdict: Counter[int] = Counter()
    matched: Counter[str] = Counter()
    for index, (o, red) in enumerate(zip(orders, flags, strict=False)):
        mine = own.get((o.platform or file_platform, o.buyer_id)) if o.buyer_id else None
        own_id = mine.buyer_id if mine is not None else None
        # Most orders match nothing: the common path does no call per order.
        by_phone = linked.get(o.phone_digest) if o.phone_digest is not None else None
        by_address = linked.get(o.address_digest) if o.address_digest is not None else None
        phone_hit = by_phone is not None and _others(by_phone, own_id)
        address_hit = by_address is not None and _others(by_address, own_id)
        if mine is not None and mine.facts:
            matched["account"] += 1
        if phone_hit:
            matched["phone"] += 1
        if address_hit:
            matched["address"] += 1
        if mine is None and not phone_hit and not address_hit:
            verdict = unreported.get(red)
            if verdict is None:
                verdict = unreported[red] = judge_subject(Subject(file_platform, ""), None, {}, now, red)
        else:
            key = (
                o.platform,
                o.buyer_id,
                o.phone_digest if phone_hit else None,
                o.address_digest if address_hit else None,
                red,
            )
            verdict = verdicts.get(key)
            if verdict is None:
                subject = Subject(
                    o.platform or file_platform,
                    o.buyer_id,
                    frozenset((o.phone_digest,)) if phone_hit and o.phone_digest else frozenset(),
                    frozenset((o.address_digest,)) if address_hit and o.address_digest else frozenset(),
                )
                verdict = verdicts[key] = judge_subject(subject, mine, linked, now, red)
        orders_per_verdict[id(verdict)] += 1
        screened.append(ScreenedOrder(o, verdict))
        if progress and index % 5000 == 4999:
            progress("judging", index + 1, len(orders))
    levels: Counter = Counter()
    for verdict in (*verdicts.values(), *unreported.values()):
        levels[verdict.level] += orders_per_verdict[id(verdict)]
    report = ScreenReport(
        platform,
        len(orders),
        screened,
        skipped,
        parsed.missing_optional,
        levels=levels,
        format=parsed.format,
        has_buyers=parsed.has_buyers,
        phones=parsed.phones,
        damaged=parsed.damaged,
        matched=dict(matched),
        virtual_phones=parsed.virtual_phones,
        unreadable_buyers=parsed.unreadable_buyers,
        under_review=parsed.under_review,
        platforms={(p or file_platform): n for p, n in parsed.platforms.items()},
    )
    report.seconds = time.perf_counter() - started
    return report


async def _pool_matches(
    arrivals: asyncio.Queue[NewKeys | None], platform: Platform, progress: Progress | None
) -> tuple[dict[tuple[str, str], OwnReports], dict[str, list[LinkedReport]]]:
    """The pool's reports on the buyers, phones and addresses of the file, looked up as
    the file is read, until None arrives: the buyers' own reports first, then every
    report that shares a phone or address with an order or with those reports (what a
    /查 on the buyer would find)."""
    own: dict[tuple[str, str], OwnReports] = {}
    linked: dict[str, list[LinkedReport]] = {}
    asked: set[str] = set()
    while (keys := await arrivals.get()) is not None:
        # The buyers by platform: the file's, or (an ERP's) each order's own.
        file_platform = platform_of(keys.format, platform).value
        by_platform: dict[str, list[str]] = {}
        for order_platform, buyer_key in keys.buyers:
            by_platform.setdefault(order_platform or file_platform, []).append(buyer_key)
        found: list[OwnReports] = []
        for buyers_platform, buyer_keys in sorted(by_platform.items()):
            # Sorted: SQLite then walks its indexes in order instead of at random
            # (measured: the lookups take half the time).
            on_platform = await own_reports_by_keys(buyers_platform, sorted(set(buyer_keys)))
            own.update({(buyers_platform, key): reports for key, reports in on_platform.items()})
            found.extend(on_platform.values())
        # The orders' phones and addresses, and those of the buyers' own reports (which
        # lead to the buyers' other accounts, as a /查 finds them).
        phones = {*keys.phones, *(h for f in found for h in f.phones)} - asked
        addresses = {*keys.addresses, *(h for f in found for h in f.addresses)} - asked
        asked |= phones | addresses
        linked.update(await reports_by_hashes(sorted(phones), sorted(addresses)))
        if progress:
            progress("reading", keys.rows_read, keys.rows_total)
    return own, linked


def _others(found: list[LinkedReport], own_id: int | None) -> bool:
    """Whether reports found by a phone or an address include another buyer's."""
    return any(x.fact.buyer_id != own_id for x in found)
