"""Screening a whole order export (DESIGN.md §2 item 8) against the shared blacklist.

Each order gets the verdict a /查 would give, with the red flags that the file itself
shows: many unpaid orders by one buyer, gift-only orders, single items from bundles,
remote provinces, phone province ≠ address province, and the same phone or address
under several buyer names. Phones and addresses are hashed on the way in; only masks
leave this module.
"""

from __future__ import annotations

import asyncio
import gc
import re
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from bot import queries
from bot.errors import BadInput
from bot.identity import (
    Fingerprinter,
    Platform,
    mask_address,
    mask_phone,
    normalise_address,
    normalise_buyer_id,
    normalise_phone,
)
from bot.red_flags import DATA as RED_FLAGS_FILE
from bot.red_flags import RedFlag, flag
from bot.regions import address_province, phone_province
from bot.sheets import Column, clean_cell, read_table
from bot.text import is_mobile, redact
from bot.verdict import Level, LinkedAccount, Verdict, judge

# parse_orders() unpacks each row in this order.
ORDER_COLUMNS = [
    Column("order", "订单编号", ("订单编号", "订单号", "主订单编号", "订单ID", "订单id", "子订单编号")),
    Column(
        "buyer",
        "买家会员名",
        ("买家会员名", "买家昵称", "买家ID", "买家id", "买家账号", "买家用户名", "用户昵称", "买家", "会员名"),
    ),
    Column(
        "amount",
        "买家实际支付金额",
        (
            "买家实际支付金额",
            "实付金额",
            "用户实付金额",
            "商品实付金额",
            "买家实付金额",
            "订单金额",
            "支付金额",
            "实收款",
        ),
    ),
    Column("status", "订单状态", ("订单状态", "交易状态", "状态")),
    Column("address", "收货地址", ("收货地址", "收货人地址", "详细地址", "收件地址", "地址")),
    Column("province", "省", ("省", "省份", "收货省份")),
    Column("city", "市", ("市", "城市", "收货城市")),
    Column("district", "区", ("区", "区县")),
    Column(
        "phone",
        "联系手机",
        (
            "联系手机",
            "收货人手机号",
            "收货人手机",
            "收件人手机",
            "手机号",
            "手机",
            "联系电话",
            "收货人电话",
            "收件人电话",
        ),
    ),
    Column("title", "宝贝标题", ("宝贝标题", "商品名称", "商品标题", "商品", "选购商品")),
    Column("quantity", "宝贝总数量", ("宝贝总数量", "宝贝数量", "商品数量", "购买数量", "数量")),
    Column("created", "订单创建时间", ("订单创建时间", "下单时间", "创建时间", "订单提交时间")),
]
REQUIRED = {"order", "buyer"}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScreeningRules:
    unpaid_orders: int
    unpaid_status_words: tuple[str, ...]
    remote_provinces: frozenset[str]
    gift_words: tuple[str, ...]
    bundle_pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def rules() -> ScreeningRules:
    with RED_FLAGS_FILE.open("rb") as file:
        data = tomllib.load(file)["screening"]
    return ScreeningRules(
        unpaid_orders=int(data["unpaid_orders"]),
        unpaid_status_words=tuple(data["unpaid_status_words"]),
        remote_provinces=frozenset(data["remote_provinces"]),
        gift_words=tuple(data["gift_words"]),
        bundle_pattern=re.compile(data["bundle_pattern"]),
    )


@dataclass(slots=True)
class OrderRow:
    line: int
    order_no: str
    buyer_id: str
    unpaid: bool
    title: str
    quantity: int | None
    # Fingerprints (keyed hash, mask, province), plain fields rather than a Trait each:
    # a file has ~200,000 of them. None where the file gives nothing to match on.
    phone_digest: str | None
    phone_mask: str | None
    phone_province: str | None
    address_digest: str | None
    address_mask: str | None
    address_province: str | None


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

    @cached_property
    def flagged(self) -> list[ScreenedOrder]:
        """Orders worth a look (需警惕 or worse), highest score first."""
        found = [o for o in self.orders if o.verdict.level.rank >= Level.watch.rank]
        return sorted(found, key=lambda o: (-o.verdict.score, o.row.line))


@contextmanager
def paused_gc():
    """Hundreds of thousands of small objects stay alive while a file is screened: the
    cyclic GC would walk them all again and again (measured: flags 1.2 s → 0.4 s at
    100,000 rows without it). Nothing here makes cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _quantity(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _address_text(address: str, province: str, city: str, district: str) -> str:
    if address:
        # Pinduoduo and Douyin exports keep the province and city in columns of their own.
        if province and not address.startswith(province[:2]):
            address = province + city + district + address
        return address
    return province + city + district


# (digest, mask, province) of a phone or an address.
Print = tuple[str, str, str | None]


def _phone_print(text: str, fingerprinter: Fingerprinter) -> Print | None:
    """None when the cell holds no mobile number to match on (empty, masked like
    138****5678, a landline)."""
    text = text.strip()
    if text[:1] in ("=", "'"):  # ="…", as some exports write long numbers
        text = clean_cell(text)
    if not text:
        return None
    try:
        phone = normalise_phone(text)
    except BadInput:
        return None
    return fingerprinter.digest("phone", phone), mask_phone(phone), phone_province(phone)


def _address_print(text: str, fingerprinter: Fingerprinter) -> Print | None:
    text = text.strip()
    if not text:
        return None
    try:
        address = normalise_address(text)
    except BadInput:
        return None
    return fingerprinter.digest("address", address), mask_address(address), address_province(address)


def parse_orders(
    data: bytes, filename: str, fingerprinter: Fingerprinter
) -> tuple[list[OrderRow], list[tuple[int, str]], list[Column]]:
    table = read_table(data, filename, ORDER_COLUMNS, REQUIRED)
    missing_optional = [
        c
        for c in ORDER_COLUMNS
        if c.key not in table.found and c.key in ("status", "address", "phone", "title", "quantity")
    ]
    if "address" not in table.found and "province" in table.found:
        missing_optional = [c for c in missing_optional if c.key != "address"]
    unpaid_words = rules().unpaid_status_words
    orders: list[OrderRow] = []
    skipped: list[tuple[int, str]] = []
    # A buyer's phone and address repeat on each of their orders: fingerprint each once.
    phone_prints: dict[str, Print | None] = {}
    address_prints: dict[str, Print | None] = {}
    unpaid_statuses: dict[str, bool] = {}
    split_address = bool({"province", "city", "district"} & table.found)
    no_print = (None, None, None)
    # Unpacked by position (ORDER_COLUMNS' order) rather than a dict or a function per
    # cell: this loop runs once per order.
    for line, (
        order_cell,
        buyer_cell,
        _,
        status,
        address_text,
        province,
        city,
        district,
        phone_text,
        title,
        quantity,
        _,
    ) in zip(table.lines, table.rows, strict=False):
        try:
            buyer_id = normalise_buyer_id(buyer_cell)
        except BadInput:
            skipped.append((line, "买家ID为空或含有不支持的字符"))
            continue
        order_no = clean_cell(order_cell)
        if not order_no:
            skipped.append((line, "订单编号为空"))
            continue
        phone = phone_prints.get(phone_text, no_print)
        if phone is no_print:
            phone = phone_prints[phone_text] = _phone_print(phone_text, fingerprinter)
        if split_address:
            address_text = _address_text(address_text.strip(), province.strip(), city.strip(), district.strip())
        address = address_prints.get(address_text, no_print)
        if address is no_print:
            address = address_prints[address_text] = _address_print(address_text, fingerprinter)
        unpaid = unpaid_statuses.get(status)
        if unpaid is None:
            unpaid = unpaid_statuses[status] = any(word in status for word in unpaid_words)
        orders.append(
            OrderRow(
                line,
                order_no[:64],
                buyer_id,
                unpaid,
                title.strip(),
                _quantity(quantity.strip()),
                *(phone or no_print),
                *(address or no_print),
            )
        )
    return orders, skipped, missing_optional


def file_flags(orders: list[OrderRow]) -> list[tuple[RedFlag, ...]]:
    """The red flags each order shows, judged from the file alone. Orders with the same
    flags share one tuple (most share the empty one)."""
    r = rules()
    repeat_unpaid = {
        buyer for buyer, n in Counter(o.buyer_id for o in orders if o.unpaid).items() if n >= r.unpaid_orders
    }
    buyers_by_hash: dict[str, set[str]] = defaultdict(set)
    for o in orders:
        if o.phone_digest is not None:
            buyers_by_hash[o.phone_digest].add(o.buyer_id)
        if o.address_digest is not None:
            buyers_by_hash[o.address_digest].add(o.buyer_id)
    shared_hashes = {digest for digest, buyers in buyers_by_hash.items() if len(buyers) > 1}
    many_unpaid, gift_only, single, remote, other_province, shared = (
        flag("many_unpaid"),
        flag("gift_only"),
        flag("single_from_bundle"),
        flag("remote_address"),
        flag("phone_other_province"),
        flag("shared_identity"),
    )
    # A shop sells a handful of items: judge each distinct title once.
    titles: dict[str, tuple[bool, bool]] = {}
    for title in {o.title for o in orders}:
        gift = any(w in title for w in r.gift_words) and not re.search(r"[,，;；+＋]", title)
        titles[title] = (gift, bool(r.bundle_pattern.search(title)))
    combinations: dict[tuple[RedFlag, ...], tuple[RedFlag, ...]] = {}
    result: list[tuple[RedFlag, ...]] = []
    for o in orders:
        found: list[RedFlag] = []
        if o.buyer_id in repeat_unpaid:
            found.append(many_unpaid)
        gift, bundle = titles[o.title]
        if gift:
            found.append(gift_only)
        if bundle and o.quantity == 1:
            found.append(single)
        if o.address_province in r.remote_provinces:
            found.append(remote)
        if o.phone_province and o.address_province and o.phone_province != o.address_province:
            found.append(other_province)
        if o.phone_digest in shared_hashes or o.address_digest in shared_hashes:
            found.append(shared)
        combination = tuple(found)
        result.append(combinations.setdefault(combination, combination))
    return result


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
    orders, skipped, missing_optional = await asyncio.to_thread(parse_orders, data, filename, fingerprinter)
    if not orders:
        raise BadInput("sheets.no_rows", skipped=skipped[:5])
    if progress:
        progress("读取", len(orders), len(orders))
    flags = file_flags(orders)
    # Sorted: SQLite then walks its indexes in order instead of at random (measured:
    # the lookups take half the time).
    own = await queries.reports_for_buyers(platform.value, sorted({o.buyer_id for o in orders}), progress)
    linked = await queries.reports_by_hashes(
        sorted({o.phone_digest for o in orders if o.phone_digest is not None}),
        sorted({o.address_digest for o in orders if o.address_digest is not None}),
    )

    screened: list[ScreenedOrder] = []
    # A buyer's orders share their evidence, and orders nobody reported share a verdict
    # per combination of flags: judge each distinct case once, count per verdict.
    verdicts: dict[tuple, Verdict] = {}
    unreported: dict[tuple[RedFlag, ...], Verdict] = {}
    orders_per_verdict: Counter[int] = Counter()
    for index, (o, red) in enumerate(zip(orders, flags, strict=False)):
        facts = own.get(o.buyer_id)
        phone_links = linked.get(o.phone_digest) if o.phone_digest is not None else None
        address_links = linked.get(o.address_digest) if o.address_digest is not None else None
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
                links = [
                    x
                    for x in (*(phone_links or ()), *(address_links or ()))
                    if not (x.platform == platform.value and x.buyer_key == o.buyer_id)
                ]
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
    report = ScreenReport(platform, len(orders), screened, skipped, missing_optional, levels=levels)
    report.seconds = time.perf_counter() - started
    return report


class ReasonLines:
    """Renders the one-line reason of each order (templates/screen/reason.j2). Orders
    with the same evidence share a line, so a 100,000-row file renders a few thousand."""

    def __init__(self) -> None:
        from bot.render import environment

        self._template = environment().get_template("screen/reason.j2")
        self._cache: dict[tuple, str] = {}
        # Orders of one case share one Verdict object (screen() memoises them).
        self._by_verdict: dict[int, tuple[Verdict, str]] = {}

    def __call__(self, verdict: Verdict) -> str:
        known = self._by_verdict.get(id(verdict))
        if known is not None and known[0] is verdict:
            return known[1]
        line = self._line(verdict)
        self._by_verdict[id(verdict)] = (verdict, line)
        return line

    def _line(self, verdict: Verdict) -> str:
        if verdict.level is Level.none:
            return ""
        key = (
            verdict.shops,
            verdict.linked_shops,
            tuple(verdict.categories),
            verdict.last_reported_days,
            tuple(f.code for f in verdict.flags),
        )
        line = self._cache.get(key)
        if line is None:
            line = self._cache[key] = self._template.render(v=verdict).strip()
        return line


def outcome(report: ScreenReport, lines: ReasonLines, limit: int) -> dict[str, Any]:
    """What a screening came to, as plain data (it crosses from the worker process and
    is kept with the job): the counts and the `limit` buyers most worth a look, one
    line per buyer with their orders, masked like everything that leaves screening."""
    top: dict[str, dict[str, Any]] = {}
    buyers: set[str] = set()
    for order in report.flagged:
        buyers.add(order.row.buyer_id)
        entry = top.get(order.row.buyer_id)
        if entry is not None:
            entry["orders"] += 1
            if len(entry["order_nos"]) < 3:
                entry["order_nos"].append(order.row.order_no)
        elif len(top) < limit:
            top[order.row.buyer_id] = {
                "buyer_id": order.row.buyer_id,
                "level": order.verdict.level.value,
                "score": order.verdict.score,
                "orders": 1,
                "order_nos": [order.row.order_no],
                "reason": lines(order.verdict),
            }
    return {
        "platform": report.platform.value,
        "rows": report.rows,
        "seconds": round(report.seconds, 2),
        "levels": {level.value: report.levels[level] for level in Level if report.levels[level]},
        "flagged_orders": len(report.flagged),
        "flagged_buyers": len(buyers),
        "top": list(top.values()),
        "skipped": len(report.skipped),
        "skipped_examples": [[line, why] for line, why in report.skipped[:5]],
        "missing_optional": [column.label for column in report.missing_optional],
    }


def summary(result: dict[str, Any], limit: int, result_name: str | None = None) -> str:
    """The message (chat) or printout (command line) of a screening's outcome."""
    from bot.render import render

    return render(
        "screen/summary.j2",
        o=result,
        platform=Platform(result["platform"]),
        levels=[level.value for level in Level],
        limit=limit,
        result_name=result_name,
    )


def _masked_order(order_no: str) -> str:
    return redact(order_no) if len(order_no) <= 20 and is_mobile(order_no) else order_no


RESULT_HEADERS = ["行号", "订单编号", "买家", "等级", "分数", "理由", "手机（打码）", "收货地（省市）"]


def write_result(report: ScreenReport, path: Path, reasons: ReasonLines) -> None:
    """CSV for Excel (UTF-8 with BOM). Phones and addresses appear only masked; an order
    number that is really a phone number is masked too (buyer ids that look like one
    never get this far: they are refused as unreadable rows)."""
    import csv

    with paused_gc(), open(path, "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(RESULT_HEADERS)
        for o in report.orders:
            writer.writerow(
                [
                    o.row.line,
                    _masked_order(o.row.order_no),
                    o.row.buyer_id,
                    o.verdict.level.value,
                    o.verdict.score,
                    reasons(o.verdict),
                    o.row.phone_mask or "",
                    o.row.address_mask or "",
                ]
            )
