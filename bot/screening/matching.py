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
from typing import Any

from bot.errors import BadInput
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.scoring.red_flags import RedFlag
from bot.scoring.verdict import Level, LinkedAccount, ReportFact, Verdict, judge
from bot.screening.flags import file_flags
from bot.screening.formats import GENERIC, ExportFormat, platform_of
from bot.screening.rows import KEYS_EVERY, NewKeys, OrderRow, parse_orders, paused_gc
from bot.screening.sheets import Column
from bot.storage._sql import database_in_process
from bot.storage.reports import LinkedReport, reports_by_hashes, reports_for_buyers

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
    phones: str = "readable"
    damaged: int = 0
    # Orders that matched the pool, by what matched: "account", "phone", "address".
    matched: dict[str, int] = field(default_factory=dict)

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

    screened: list[ScreenedOrder] = []
    # A buyer's orders share their evidence, and orders nobody reported share a verdict
    # per combination of flags: judge each distinct case once, count per verdict.
    verdicts: dict[tuple, Verdict] = {}
    unreported: dict[tuple[RedFlag, ...], Verdict] = {}
    orders_per_verdict: Counter[int] = Counter()
    matched: Counter[str] = Counter()
    for index, (o, red) in enumerate(zip(orders, flags, strict=False)):
        facts = own.get(o.buyer_id) if o.buyer_id else None
        # Most orders match nothing: the common path does no call per order.
        by_phone = linked.get(o.phone_digest) if o.phone_digest is not None else None
        by_address = linked.get(o.address_digest) if o.address_digest is not None else None
        phone_links = _others(by_phone, o, platform) if by_phone else None
        address_links = _others(by_address, o, platform) if by_address else None
        if facts:
            matched["account"] += 1
        if phone_links:
            matched["phone"] += 1
        if address_links:
            matched["address"] += 1
        if facts is None and phone_links is None and address_links is None:
            verdict = unreported.get(red)
            if verdict is None:
                verdict = unreported[red] = judge([], now, [], red)
        else:
            key = (
                o.buyer_id,
                o.phone_digest if phone_links else None,
                o.address_digest if address_links else None,
                red,
            )
            verdict = verdicts.get(key)
            if verdict is None:
                links = [*(phone_links or ()), *(address_links or ())]
                accounts = sorted({(x.platform, x.buyer_key, x.fact.linked_by or "address") for x in links})
                verdict = verdicts[key] = judge(
                    [*(facts or ()), *(x.fact for x in links)],
                    now,
                    [LinkedAccount(buyer_key, Platform(p).label, by) for p, buyer_key, by in accounts],
                    red,
                )
        orders_per_verdict[id(verdict)] += 1
        screened.append(ScreenedOrder(o, verdict))
        if progress and index % 5000 == 4999:
            progress("判定", index + 1, len(orders))
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
    )
    report.seconds = time.perf_counter() - started
    return report


async def _pool_matches(
    arrivals: asyncio.Queue[NewKeys | None], platform: Platform, progress: Progress | None
) -> tuple[dict[str, list[ReportFact]], dict[str, list[LinkedReport]]]:
    """The pool's reports on the buyers, phones and addresses of the file, looked up as
    the file is read, until None arrives."""
    own: dict[str, list[ReportFact]] = {}
    linked: dict[str, list[LinkedReport]] = {}
    while (keys := await arrivals.get()) is not None:
        # Sorted: SQLite then walks its indexes in order instead of at random (measured:
        # the lookups take half the time).
        buyers_platform = platform_of(keys.format, platform).value
        own.update(await reports_for_buyers(buyers_platform, sorted(keys.buyers)))
        linked.update(await reports_by_hashes(sorted(keys.phones), sorted(keys.addresses)))
        if progress:
            progress("读取并比对黑名单", keys.rows_read, keys.rows_total)
    return own, linked


def _others(found: list[Any] | None, order: OrderRow, platform: Platform) -> list[Any] | None:
    """Reports found by a phone or an address, except the ordering buyer's own."""
    if not found:
        return None
    others = [
        x for x in found if not (order.buyer_id and x.platform == platform.value and x.buyer_key == order.buyer_id)
    ]
    return others or None
