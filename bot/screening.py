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
from bot.export_formats import GENERIC, QIANNIU_ORDERS, QIANNIU_SHIPPING, ExportFormat, platform_of, recognise
from bot.identity import (
    Fingerprinter,
    Platform,
    mask_address,
    mask_phone,
    normalise_address,
    normalise_buyer_id,
    normalise_phone,
)
from bot.queries import LinkedReport
from bot.red_flags import DATA as RED_FLAGS_FILE
from bot.red_flags import RedFlag, flag
from bot.regions import address_province, phone_province
from bot.sheets import Column, clean_cell, read_table, sheet_names
from bot.text import is_mobile, redact
from bot.verdict import Level, LinkedAccount, ReportFact, Verdict, judge

# parse_orders() unpacks each row in this order.
ORDER_COLUMNS = [
    Column("order", "订单编号", ("订单编号", "订单号", "主订单编号", "订单ID", "订单id", "子订单编号")),
    Column(
        "buyer",
        "买家会员名",
        (
            "买家会员名",
            "买家昵称",
            "买家ID",
            "买家id",
            "买家账号",
            "买家帐号",
            "下单帐号",
            "下单账号",
            "买家用户名",
            "用户昵称",
            "买家",
            "会员名",
        ),
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
            "应付金额",
            "订单金额",
            "支付金额",
            "实收款",
        ),
    ),
    Column("status", "订单状态", ("订单状态", "交易状态", "状态")),
    Column(
        "address",
        "收货地址",
        ("收货地址", "收货人地址", "收件人地址", "客户地址", "详细地址", "收件地址", "地址"),
    ),
    Column("province", "省", ("省", "省份", "收货省份", "收件人省")),
    Column("city", "市", ("市", "城市", "收货城市", "收件人市")),
    Column("district", "区", ("区", "区县", "收件人区")),
    Column("street", "街道", ("街道", "街道/镇", "镇/街道", "乡镇", "街道镇")),
    Column(
        "phone",
        "联系手机",
        (
            "联系手机",
            "收货人手机号",
            "收货人手机",
            "收件人手机号",
            "收件人手机",
            "手机号",
            "手机",
            "联系电话",
            "收货人电话",
            "收件人电话",
            "客户电话",
        ),
    ),
    Column("title", "宝贝标题", ("宝贝标题", "商品名称", "商品标题", "商品", "选购商品")),
    Column("quantity", "宝贝总数量", ("宝贝总数量", "宝贝数量", "商品数量", "订购数量", "购买数量", "数量")),
    Column("created", "订单创建时间", ("订单创建时间", "下单时间", "创建时间", "订单提交时间")),
]
REQUIRED = {"order"}
# The 千牛 workbook's 发货报表: each order's receiver, joined to 订单报表 by order number.
SHIPPING_COLUMNS = [
    ORDER_COLUMNS[0],
    *(c for c in ORDER_COLUMNS if c.key in ("address", "province", "city", "district", "street", "phone")),
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScreeningRules:
    unpaid_orders: int
    unpaid_status_words: tuple[str, ...]
    remote_provinces: frozenset[str]
    gift_words: tuple[str, ...]
    bundle_pattern: re.Pattern[str]
    shared_exempt: re.Pattern[str]  # any of the words: one pass over an address


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
        shared_exempt=re.compile("|".join(re.escape(word) for word in data["shared_exempt_words"])),
    )


@dataclass(slots=True)
class OrderRow:
    line: int
    order_no: str
    buyer_id: str  # "" where the file has no buyer account (拼多多, some 抖店 exports)
    unpaid: bool
    titles: tuple[str, ...]  # every item line of the order (JD SKUs, 抖店 sub-orders)
    quantity: int | None
    # Fingerprints (keyed hash, mask, province), plain fields rather than a Trait each:
    # a file has ~200,000 of them. None where the file gives nothing to match on.
    phone_digest: str | None
    phone_mask: str | None
    phone_province: str | None
    address_digest: str | None
    address_mask: str | None
    address_province: str | None
    # The address receives for many people (驿站, 快递柜, a campus): never "shared".
    address_shared_ok: bool = False

    @property
    def identity(self) -> str:
        """Who placed the order, as far as the file tells: the account, else the
        address, else the phone, else the order itself."""
        return self.buyer_id or self.address_digest or self.phone_digest or f"#{self.order_no}"


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


def _address_text(address: str, province: str, city: str, district: str, street: str = "") -> str:
    if address:
        # Pinduoduo and Douyin exports keep the province and city in columns of their own.
        if province and not address.startswith(province[:2]):
            address = province + city + district + street + address
        return address
    return province + city + district + street


# (digest, mask, province) of a phone or an address.
Print = tuple[str, str, str | None]

# What some exports write instead of a value: "-" for empty, ##… or $$… where the
# platform keeps the receiver encrypted, and masks like 138****5678 or 1******6198.
_PLACEHOLDERS = ("-", "--", "—", "/", "无", "null", "NULL")
# Excel turns a long order number into 3.51531E+16 after a re-save: the digits are gone.
SCIENTIFIC_RE = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_POSTCODE_RE = re.compile(r"\s*[(（]\d{6}[)）]$")
# An address good enough to match on: more than a province, a city and a district.
_DETAILED_RE = re.compile(r"\d|号|室|栋|幢|村|组|弄|巷|院")


def hidden(text: str) -> bool:
    """A value the platform did not give: a mask, an encrypted placeholder, a dash.
    Never hashed, never compared: a masked phone matches thousands of others."""
    return text in _PLACEHOLDERS or "*" in text or text.startswith(("##", "$$", "＊"))


def _visible(cell: str) -> str:
    text = clean_cell(cell)
    return "" if hidden(text) else text


def _phone_print(text: str, fingerprinter: Fingerprinter) -> Print | None:
    """None when the cell holds no mobile number to match on (empty, masked like
    138****5678, a placeholder, a landline)."""
    text = clean_cell(text)
    if not text or hidden(text):
        return None
    try:
        phone = normalise_phone(text)
    except BadInput:
        return None
    return fingerprinter.digest("phone", phone), mask_phone(phone), phone_province(phone)


AddressPrint = tuple[str | None, str, str | None, bool]


def _address_print(text: str, fingerprinter: Fingerprinter) -> AddressPrint | None:
    """The address's digest (None where it is too coarse to match on: a province and a
    city match whole towns), its mask, its province (for the province flags), and
    whether it receives for many people (a 驿站, a campus: never "shared")."""
    text = text.strip()
    if not text or hidden(text):
        return None
    try:
        address = normalise_address(text)
    except BadInput:
        return None
    detailed = len(address) >= 10 and _DETAILED_RE.search(address)
    digest = fingerprinter.digest("address", address) if detailed else None
    receives_for_many = bool(rules().shared_exempt.search(address))
    return digest, mask_address(address), address_province(address), receives_for_many


@dataclass
class ParsedOrders:
    orders: list[OrderRow]
    skipped: list[tuple[int, str]]
    missing_optional: list[Column]
    format: ExportFormat
    has_buyers: bool  # the file names the buyer accounts
    phones: str  # "readable" (some phones can be matched), "hidden" (all masked or placeholders), "none"
    damaged: int = 0  # rows whose order number Excel had turned into 3.5E+16


def _receivers(data: bytes, filename: str) -> dict[str, tuple[str, ...]]:
    """千牛's 发货报表: order number → (address, province, city, district, street, phone)."""
    table = read_table(data, filename, SHIPPING_COLUMNS, {"order"}, sheet=QIANNIU_SHIPPING)
    found: dict[str, tuple[str, ...]] = {}
    for row in table.rows:
        found.setdefault(clean_cell(row[0]), tuple(row[1:]))
    return found


@dataclass(frozen=True)
class NewKeys:
    """What a stretch of the file brought that the pool has not been asked about: the
    buyer accounts and phone and address digests seen there for the first time."""

    format: ExportFormat
    rows_read: int
    rows_total: int
    buyers: list[str]
    phones: list[str]
    addresses: list[str]


# Rows read between two handings of new keys to the blacklist lookups: the lookups of
# one stretch run (in the database's thread, or in PostgreSQL's process) while the next
# is read, and only the last stretch's wait at the end.
KEYS_EVERY = 10_000


def parse_orders(
    data: bytes,
    filename: str,
    fingerprinter: Fingerprinter,
    found: Callable[[NewKeys], None] | None = None,
    keys_every: int | None = KEYS_EVERY,
) -> ParsedOrders:
    """The orders of an export, fingerprinted. `found`, if given, is called with the
    keys first seen since its last call: every `keys_every` rows, and at the end."""
    sheets = sheet_names(data, filename)
    receivers: dict[str, tuple[str, ...]] = {}
    if QIANNIU_ORDERS in sheets and QIANNIU_SHIPPING in sheets:
        table = read_table(data, filename, ORDER_COLUMNS, REQUIRED, sheet=QIANNIU_ORDERS)
        receivers = _receivers(data, filename)
        found_keys = table.found | {"address", "phone", "province", "city", "district", "street"}
    else:
        table = read_table(data, filename, ORDER_COLUMNS, REQUIRED)
        found_keys = table.found
    export_format = recognise(table.headers, sheets)
    missing_optional = [
        c
        for c in ORDER_COLUMNS
        if c.key not in found_keys and c.key in ("buyer", "status", "address", "phone", "title", "quantity")
    ]
    if "address" not in found_keys and "province" in found_keys:
        missing_optional = [c for c in missing_optional if c.key != "address"]
    unpaid_words = rules().unpaid_status_words
    by_order: dict[str, OrderRow] = {}
    skipped: list[tuple[int, str]] = []
    damaged = 0
    phones_seen = phones_hidden = 0
    # A buyer's phone and address repeat on each of their orders: fingerprint each once.
    phone_prints: dict[str, Print | None] = {}
    address_prints: dict[str, AddressPrint | None] = {}
    unpaid_statuses: dict[str, bool] = {}
    split_address = bool({"province", "city", "district", "street"} & found_keys)
    no_print = (None, None, None)
    no_address: tuple[None, None, None, bool] = (None, None, None, False)
    buyers_seen: set[str] = set()
    digests_seen: set[str] = set()
    new_buyers: list[str] = []
    new_phones: list[str] = []
    new_addresses: list[str] = []
    rows_total = len(table.rows)
    every = keys_every if found is not None and keys_every else 0
    hand_over_at = every or -1  # -1: no hand-over before the end

    def hand_over(rows_read: int) -> None:
        assert found is not None
        found(NewKeys(export_format, rows_read, rows_total, new_buyers[:], new_phones[:], new_addresses[:]))
        new_buyers.clear()
        new_phones.clear()
        new_addresses.clear()

    # Unpacked by position (ORDER_COLUMNS' order) rather than a dict or a function per
    # cell: this loop runs once per row.
    for index, (
        line,
        (
            order_cell,
            buyer_cell,
            _,
            status,
            address_text,
            province,
            city,
            district,
            street,
            phone_text,
            title,
            quantity,
            _,
        ),
    ) in enumerate(zip(table.lines, table.rows, strict=False)):
        if index == hand_over_at:
            hand_over(index)
            hand_over_at += every
        order_no = clean_cell(order_cell)
        if not order_no or order_no in _PLACEHOLDERS:
            skipped.append((line, "订单编号为空"))
            continue
        if ("E" in order_no or "e" in order_no) and SCIENTIFIC_RE.match(order_no):
            damaged += 1
            skipped.append((line, f"订单编号被 Excel 改成了科学计数法（{order_no[:20]}），原来的号码已经丢失"))
            continue
        if receivers:
            address_text, province, city, district, street, phone_text = receivers.get(order_no, ("",) * 6)
        buyer_text = buyer_cell.strip()
        if buyer_text[:1] in ("=", "'"):
            buyer_text = clean_cell(buyer_text)
        buyer_id = ""
        if buyer_text and not hidden(buyer_text):
            try:
                buyer_id = normalise_buyer_id(buyer_text)
            except BadInput:
                skipped.append((line, "买家ID含有不支持的字符"))
                continue
            if buyer_id not in buyers_seen:
                buyers_seen.add(buyer_id)
                new_buyers.append(buyer_id)
        phone_key = phone_text.strip()
        if phone_key:
            phones_seen += 1
        phone = phone_prints.get(phone_key, no_print)
        if phone is no_print:
            phone = phone_prints[phone_key] = _phone_print(phone_key, fingerprinter)
            if phone is not None and phone[0] not in digests_seen:
                digests_seen.add(phone[0])
                new_phones.append(phone[0])
        if phone is None and phone_key and hidden(clean_cell(phone_key)):
            phones_hidden += 1
        if split_address:
            # A placeholder in any part (抖店's "-", an encrypted $$… detail) is no part.
            address_text = _address_text(*(_visible(cell) for cell in (address_text, province, city, district, street)))
        address = address_prints.get(address_text, no_address)
        if address is no_address:
            # Taobao ends the address with its postcode, "…100号(310000)": not part of it.
            text = clean_cell(address_text)
            if text.endswith((")", "）")):
                text = _POSTCODE_RE.sub("", text)
            address = address_prints[address_text] = _address_print(text, fingerprinter)
            if address is not None and address[0] is not None and address[0] not in digests_seen:
                digests_seen.add(address[0])
                new_addresses.append(address[0])
        unpaid = unpaid_statuses.get(status)
        if unpaid is None:
            unpaid = unpaid_statuses[status] = any(word in status for word in unpaid_words)
        # Plain strip: clean_cell's ="…" unwrapping is for numbers, not titles.
        item = title.strip()
        count = _quantity(quantity.strip().strip('="'))
        known = by_order.get(order_no[:64])
        if known is not None:
            # Another line of the same order (a JD SKU, a 抖店 sub-order): one order.
            known.titles = (*known.titles, item)
            if known.quantity is not None and count is not None:
                known.quantity += count
            known.unpaid = known.unpaid or unpaid
            continue
        phone_digest, phone_mask, phone_province_ = phone or no_print
        address_digest, address_mask, address_province_, receives_for_many = address or no_address
        by_order[order_no[:64]] = OrderRow(
            line,
            order_no[:64],
            buyer_id,
            unpaid,
            (item,),
            count,
            phone_digest,
            phone_mask,
            phone_province_,
            address_digest,
            address_mask,
            address_province_,
            address_shared_ok=receives_for_many,
        )
    if found is not None:
        hand_over(rows_total)
    readable = any(p is not None for p in phone_prints.values())
    if readable:
        phones = "readable"
    elif phones_seen and phones_hidden:
        phones = "hidden"
    else:
        phones = "none"
    return ParsedOrders(
        list(by_order.values()),
        skipped,
        missing_optional,
        export_format,
        has_buyers="buyer" in found_keys and any(o.buyer_id for o in by_order.values()),
        phones=phones,
        damaged=damaged,
    )


def file_flags(orders: list[OrderRow]) -> list[tuple[RedFlag, ...]]:
    """The red flags each order shows, judged from the file alone. Orders with the same
    flags share one tuple (most share the empty one)."""
    r = rules()
    # Unpaid orders by one buyer, or to one address where the file names no buyers.
    repeat_unpaid = {who for who, n in Counter(o.identity for o in orders if o.unpaid).items() if n >= r.unpaid_orders}
    buyers_by_phone: dict[str, set[str]] = defaultdict(set)
    buyers_by_address: dict[str, set[str]] = defaultdict(set)
    for o in orders:
        if not o.buyer_id:
            continue  # without accounts, "several accounts behind one phone" cannot be seen
        if o.phone_digest is not None:
            buyers_by_phone[o.phone_digest].add(o.buyer_id)
        if o.address_digest is not None and not o.address_shared_ok:
            buyers_by_address[o.address_digest].add(o.buyer_id)
    shared_phones = {digest for digest, buyers in buyers_by_phone.items() if len(buyers) > 1}
    shared_addresses = {digest for digest, buyers in buyers_by_address.items() if len(buyers) > 1}
    many_unpaid, gift_only, single, remote, other_province, shared, shared_address = (
        flag("many_unpaid"),
        flag("gift_only"),
        flag("single_from_bundle"),
        flag("remote_address"),
        flag("phone_other_province"),
        flag("shared_identity"),
        flag("shared_address"),
    )
    # A shop sells a handful of items: judge each distinct title once.
    titles: dict[str, tuple[bool, bool]] = {}
    for title in {t for o in orders for t in o.titles}:
        gift = any(w in title for w in r.gift_words) and not re.search(r"[,，;；+＋]", title)
        titles[title] = (gift, bool(r.bundle_pattern.search(title)))
    combinations: dict[tuple[RedFlag, ...], tuple[RedFlag, ...]] = {}
    result: list[tuple[RedFlag, ...]] = []
    for o in orders:
        found: list[RedFlag] = []
        if o.identity in repeat_unpaid:
            found.append(many_unpaid)
        # Gift-only: every line of the order is a gift; a single item of a bundle: one
        # line, one piece.
        if o.titles and all(titles[t][0] for t in o.titles):
            found.append(gift_only)
        if len(o.titles) == 1 and titles[o.titles[0]][1] and o.quantity == 1:
            found.append(single)
        if o.address_province in r.remote_provinces:
            found.append(remote)
        if o.phone_province and o.address_province and o.phone_province != o.address_province:
            found.append(other_province)
        if o.phone_digest in shared_phones:
            found.append(shared)
        elif o.address_digest in shared_addresses:
            found.append(shared_address)
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
    # On PostgreSQL the blacklist lookups of the keys read so far run beside it; SQLite's
    # run after it (see queries.database_in_process).
    keys_every = None if queries.database_in_process() else KEYS_EVERY
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
        own.update(await queries.reports_for_buyers(buyers_platform, sorted(keys.buyers)))
        linked.update(await queries.reports_by_hashes(sorted(keys.phones), sorted(keys.addresses)))
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


def _who(row: OrderRow) -> str:
    """The buyer as the summary names them: the account, else the masked address or
    phone (a file without accounts), else the order."""
    if row.buyer_id:
        return row.buyer_id
    if row.address_mask:
        return f"收货地 {row.address_mask}"
    if row.phone_mask:
        return f"手机 {row.phone_mask}"
    return f"订单 {row.order_no}"


def outcome(report: ScreenReport, lines: ReasonLines, limit: int) -> dict[str, Any]:
    """What a screening came to, as plain data (it crosses from the worker process and
    is kept with the job): the counts and the `limit` buyers most worth a look, one
    line per buyer with their orders, masked like everything that leaves screening."""
    top: dict[str, dict[str, Any]] = {}
    buyers: set[str] = set()
    for order in report.flagged:
        who = order.row.identity
        buyers.add(who)
        entry = top.get(who)
        if entry is not None:
            entry["orders"] += 1
            if len(entry["order_nos"]) < 3:
                entry["order_nos"].append(_masked_order(order.row.order_no))
        elif len(top) < limit:
            top[who] = {
                "buyer_id": _who(order.row),
                "level": order.verdict.level.value,
                "score": order.verdict.score,
                "orders": 1,
                "order_nos": [_masked_order(order.row.order_no)],
                "reason": lines(order.verdict),
            }
    return {
        "platform": report.platform.value,
        "format": report.format.label,
        "rows": report.rows,
        "seconds": round(report.seconds, 2),
        "levels": {level.value: report.levels[level] for level in Level if report.levels[level]},
        "flagged_orders": len(report.flagged),
        "flagged_buyers": len(buyers),
        "top": list(top.values()),
        "matched": {key: report.matched.get(key, 0) for key in ("account", "phone", "address")},
        "has_buyers": report.has_buyers,
        "phones": report.phones,
        "damaged": report.damaged,
        "skipped": len(report.skipped),
        "skipped_examples": [[line, why] for line, why in report.skipped[:5]],
        # The rows not read for another reason than a damaged order number.
        "unreadable": [[line, why] for line, why in report.skipped if "科学计数法" not in why][:5],
        "missing_optional": [column.label for column in report.missing_optional if column.key != "buyer"],
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
    if order_no.isdigit() and len(order_no) not in (11, 13, 15):
        # Plain digits are a phone only as 1…, 86 1… or 0086 1…: most order numbers
        # are longer, and this runs once per row of the result file.
        return order_no
    return redact(order_no) if len(order_no) <= 20 and is_mobile(order_no) else order_no


RESULT_HEADERS = ["行号", "订单编号", "买家", "等级", "分数", "理由", "手机（打码）", "收货地（省市）"]


def write_result(report: ScreenReport, path: Path, reasons: ReasonLines) -> None:
    """CSV for Excel (UTF-8 with BOM). Phones and addresses appear only masked; an order
    number that is really a phone number is masked too (buyer ids that look like one
    never get this far: they are refused as unreadable rows)."""
    import csv

    # The byte-order mark written by hand: "utf-8-sig" encodes each row through a Python
    # codec, plain "utf-8" in C (0.1 s of a 100,000-row file).
    with paused_gc(), open(path, "w", newline="", encoding="utf-8") as file:
        file.write("\ufeff")
        writer = csv.writer(file)
        writer.writerow(RESULT_HEADERS)
        writer.writerows(
            [
                o.row.line,
                _masked_order(o.row.order_no),
                o.row.buyer_id or "（文件里没有）",
                o.verdict.level.value,
                o.verdict.score,
                reasons(o.verdict),
                o.row.phone_mask or "",
                o.row.address_mask or "",
            ]
            for o in report.orders
        )
