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

from bot import queries
from bot.errors import BadInput
from bot.identity import (
    Fingerprinter,
    Platform,
    Trait,
    normalise_address,
    normalise_buyer_id,
    normalise_phone,
)
from bot.red_flags import DATA as RED_FLAGS_FILE
from bot.red_flags import RedFlag, flag
from bot.regions import address_province, phone_province
from bot.sheets import Column, clean_cell, locate, read_sheet
from bot.verdict import Level, LinkedAccount, Verdict, judge

ORDER_COLUMNS = [
    Column("order", "订单编号", ("订单编号", "订单号", "主订单编号", "订单ID", "订单id", "子订单编号")),
    Column("buyer", "买家会员名", ("买家会员名", "买家昵称", "买家ID", "买家id", "买家账号", "买家用户名", "用户昵称", "买家", "会员名")),
    Column("amount", "买家实际支付金额", ("买家实际支付金额", "实付金额", "用户实付金额", "商品实付金额", "买家实付金额", "订单金额", "支付金额", "实收款")),
    Column("status", "订单状态", ("订单状态", "交易状态", "状态")),
    Column("address", "收货地址", ("收货地址", "收货人地址", "详细地址", "收件地址", "地址")),
    Column("province", "省", ("省", "省份", "收货省份")),
    Column("city", "市", ("市", "城市", "收货城市")),
    Column("district", "区", ("区", "区县")),
    Column("phone", "联系手机", ("联系手机", "收货人手机号", "收货人手机", "收件人手机", "手机号", "手机", "联系电话", "收货人电话", "收件人电话")),
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
    phone: Trait | None
    address: Trait | None
    phone_province: str | None
    address_province: str | None


@dataclass
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


def parse_orders(data: bytes, filename: str, fingerprinter: Fingerprinter) -> tuple[list[OrderRow], list[tuple[int, str]], list[Column]]:
    rows = read_sheet(data, filename)
    mapping, header_index = locate(rows, ORDER_COLUMNS, REQUIRED)
    missing_optional = [c for c in ORDER_COLUMNS if c.key not in mapping and c.key in ("status", "address", "phone", "title", "quantity")]
    if "address" not in mapping and "province" in mapping:
        missing_optional = [c for c in missing_optional if c.key != "address"]
    unpaid_words = rules().unpaid_status_words
    orders: list[OrderRow] = []
    skipped: list[tuple[int, str]] = []
    # A buyer's phone and address repeat on each of their orders: hash each once.
    phone_cache: dict[str, tuple[Trait, str | None] | None] = {}
    address_cache: dict[str, tuple[Trait | None, str | None]] = {}
    unpaid_cache: dict[str, bool] = {}
    # Direct column indexes rather than a dict per row: this loop runs once per order.
    column = {c.key: mapping.get(c.key, -1) for c in ORDER_COLUMNS}
    i_order, i_buyer, i_phone, i_status, i_title, i_quantity = (
        column["order"], column["buyer"], column["phone"], column["status"], column["title"], column["quantity"]
    )
    address_columns = [column[k] for k in ("address", "province", "city", "district")]
    for offset, row in enumerate(rows[header_index + 1 :]):
        line = header_index + 2 + offset
        width = len(row)

        def cell(index: int) -> str:
            return row[index].strip() if 0 <= index < width else ""

        try:
            buyer_id = normalise_buyer_id(cell(i_buyer))
        except BadInput:
            skipped.append((line, "买家ID为空或含有不支持的字符"))
            continue
        # Only the order number comes as ="…" (phones too in some exports, but those
        # fail the phone pattern either way and clean_cell handles them below).
        order_no = clean_cell(row[i_order]) if i_order < width else ""
        if not order_no:
            skipped.append((line, "订单编号为空"))
            continue
        phone_raw = cell(i_phone)
        if phone_raw[:1] in ("=", "'"):
            phone_raw = clean_cell(phone_raw)
        phone_entry = None
        if phone_raw:
            if phone_raw not in phone_cache:
                try:
                    phone = normalise_phone(phone_raw)
                    phone_cache[phone_raw] = (fingerprinter.phone_normalised(phone), phone_province(phone))
                except BadInput:  # masked (138****5678) or a landline: nothing to match on
                    phone_cache[phone_raw] = None
            phone_entry = phone_cache[phone_raw]
        address_trait = None
        province = None
        address_raw = _address_text(*(cell(i) for i in address_columns))
        if address_raw:
            if address_raw not in address_cache:
                try:
                    address = normalise_address(address_raw)
                    address_cache[address_raw] = (fingerprinter.address_normalised(address), address_province(address))
                except BadInput:
                    address_cache[address_raw] = (None, None)
            address_trait, province = address_cache[address_raw]
        status = cell(i_status)
        unpaid = unpaid_cache.get(status)
        if unpaid is None:
            unpaid = unpaid_cache[status] = any(word in status for word in unpaid_words)
        orders.append(
            OrderRow(
                line=line,
                order_no=order_no[:64],
                buyer_id=buyer_id,
                unpaid=unpaid,
                title=cell(i_title),
                quantity=_quantity(cell(i_quantity)),
                phone=phone_entry[0] if phone_entry else None,
                address=address_trait,
                phone_province=phone_entry[1] if phone_entry else None,
                address_province=province,
            )
        )
    return orders, skipped, missing_optional


def file_flags(orders: list[OrderRow]) -> list[list[RedFlag]]:
    """The red flags each order shows, judged from the file alone."""
    r = rules()
    unpaid_by_buyer = Counter(o.buyer_id for o in orders if o.unpaid)
    buyers_by_hash: dict[str, set[str]] = defaultdict(set)
    for o in orders:
        for trait in (o.phone, o.address):
            if trait is not None:
                buyers_by_hash[trait.digest].add(o.buyer_id)
    many_unpaid, gift_only, single, remote, other_province, shared = (
        flag("many_unpaid"), flag("gift_only"), flag("single_from_bundle"),
        flag("remote_address"), flag("phone_other_province"), flag("shared_identity"),
    )
    # A shop sells a handful of items: judge each distinct title once.
    titles: dict[str, tuple[bool, bool]] = {}
    for title in {o.title for o in orders}:
        gift = any(w in title for w in r.gift_words) and not re.search(r"[,，;；+＋]", title)
        titles[title] = (gift, bool(r.bundle_pattern.search(title)))
    result: list[list[RedFlag]] = []
    for o in orders:
        found: list[RedFlag] = []
        if unpaid_by_buyer[o.buyer_id] >= r.unpaid_orders:
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
        if any(len(buyers_by_hash[t.digest]) > 1 for t in (o.phone, o.address) if t is not None):
            found.append(shared)
        result.append(found)
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
        raise BadInput("sheets/no_rows.j2", skipped=skipped[:5])
    if progress:
        progress("读取", len(orders), len(orders))
    flags = file_flags(orders)

    buyer_keys = sorted({o.buyer_id for o in orders})
    own = await queries.reports_for_buyers(platform.value, buyer_keys, progress)
    phones = sorted({o.phone.digest for o in orders if o.phone})
    addresses = sorted({o.address.digest for o in orders if o.address})
    linked = await queries.reports_by_hashes(phones, addresses)

    screened: list[ScreenedOrder] = []
    levels: Counter = Counter()
    # A buyer's orders share their evidence, and clean rows share their flags: judge
    # each distinct case once.
    verdicts: dict[tuple, Verdict] = {}
    for index, (o, red) in enumerate(zip(orders, flags)):
        facts = own.get(o.buyer_id, [])
        phone_links = linked.get(o.phone.digest, ()) if o.phone else ()
        address_links = linked.get(o.address.digest, ()) if o.address else ()
        key = (
            o.buyer_id if facts or phone_links or address_links else None,
            o.phone.digest if phone_links else None,
            o.address.digest if address_links else None,
            tuple(f.code for f in red),
        )
        verdict = verdicts.get(key)
        if verdict is None:
            links = [
                x for x in (*phone_links, *address_links)
                if not (x.platform == platform.value and x.buyer_key == o.buyer_id)
            ]
            accounts = sorted({(x.platform, x.buyer_key, x.fact.linked_by or "address") for x in links})
            verdict = verdicts[key] = judge(
                facts + [x.fact for x in links],
                now,
                [LinkedAccount(buyer_key, Platform(p).label, by) for p, buyer_key, by in accounts],
                red,
            )
        levels[verdict.level] += 1
        screened.append(ScreenedOrder(o, verdict))
        if progress and index % 5000 == 4999:
            progress("判定", index + 1, len(orders))
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
            verdict.shops, verdict.linked_shops, tuple(verdict.categories), verdict.last_reported_days,
            tuple(f.code for f in verdict.flags),
        )
        line = self._cache.get(key)
        if line is None:
            line = self._cache[key] = self._template.render(v=verdict).strip()
        return line


def summary(report: ScreenReport, lines: ReasonLines, limit: int, result_path=None) -> str:
    """The message (chat) or printout (command line) of a screening: counts and the
    `limit` highest-scoring orders with their reasons."""
    from bot.render import render

    reasons = {o.row.line: lines(o.verdict) for o in report.flagged[:limit]}
    return render("screen/summary.j2", report=report, levels=list(Level), limit=limit, reasons=reasons,
                  result_path=result_path)


RESULT_HEADERS = ["行号", "订单编号", "买家", "等级", "分数", "理由", "手机（打码）", "收货地（省市）"]


def write_result(report: ScreenReport, path, reasons: ReasonLines) -> None:
    """CSV for Excel (UTF-8 with BOM). Phones and addresses appear only masked."""
    import csv

    with paused_gc(), open(path, "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(RESULT_HEADERS)
        for o in report.orders:
            writer.writerow([
                o.row.line, o.row.order_no, o.row.buyer_id, o.verdict.level.value, o.verdict.score,
                reasons(o.verdict), o.row.phone.mask if o.row.phone else "", o.row.address.mask if o.row.address else "",
            ])
