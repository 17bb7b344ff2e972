"""Reading an export's rows into orders: cells cleaned, placeholders and masks told
apart from values, phones and addresses fingerprinted on the way in."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.fingerprints import Fingerprinter, mask_phone, normalise_address, normalise_phone
from bot.identity.platforms import platform_in
from bot.identity.regions import address_province, phone_province
from bot.identity.text import is_virtual_number, mask_address
from bot.messaging.render import label
from bot.screening.columns import ORDER_COLUMNS, REQUIRED, SHIPPING_COLUMNS, rules
from bot.screening.formats import QIANNIU_ORDERS, QIANNIU_SHIPPING, ExportFormat, recognise, refuse_item_file
from bot.screening.sheets import Column, clean_cell, read_table, sheet_names
from bot.states import PhoneColumn


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
    # The order's own platform (an ERP's file names it per order); "": the file's.
    platform: str = ""

    @property
    def identity(self) -> str:
        """Who placed the order, as far as the file tells: the account, else (an export
        without buyer accounts: 拼多多, 抖店) the phone, the address, the order itself."""
        return self.buyer_id or self.phone_digest or self.address_digest or f"#{self.order_no}"


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
    phones: PhoneColumn
    damaged: int = 0  # rows whose order number Excel had turned into 3.5E+16
    # Orders whose phone is a privacy number (虚拟号): never hashed, never matched.
    virtual_phones: int = 0
    # Rows whose buyer cell could not be a buyer id (an opaque id with : = +, a phone):
    # screened without a buyer, by their phone, address and order.
    unreadable_buyers: int = 0
    # 拼多多's 是否审核中 = 是: the platform's risk control still reviews these orders.
    under_review: list[str] = field(default_factory=list)
    # An ERP's file: how many orders each platform has (the platform's value → count).
    platforms: dict[str, int] = field(default_factory=dict)


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
    buyers: list[tuple[str, str]]  # (the order's platform, "" for the file's; the buyer id)
    phones: list[str]
    addresses: list[str]


# Rows read between two handings of new keys to the blacklist lookups: the lookups of
# one stretch run (in the database's thread, or in PostgreSQL's process) while the next
# is read, and only the last stretch's wait at the end.
KEYS_EVERY = 10_000


def parse_orders(  # noqa: C901 - one pass over every row, inlined: the hot loop of a 100,000-row file
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
    refuse_item_file(table.headers, found_keys)
    export_format = recognise(table.headers, sheets)
    missing_optional = [
        c
        for c in ORDER_COLUMNS
        if c.key not in found_keys and c.key in ("buyer", "status", "address", "phone", "title", "quantity")
    ]
    if "address" not in found_keys and found_keys & {"province", "region"}:
        missing_optional = [c for c in missing_optional if c.key != "address"]
    if "buyer" not in found_keys and "buyer_nick" in found_keys:
        missing_optional = [c for c in missing_optional if c.key != "buyer"]
    unpaid_words = rules().unpaid_status_words
    by_order: dict[str, OrderRow] = {}
    skipped: list[tuple[int, str]] = []
    damaged = 0
    phones_seen = phones_hidden = virtual_phones = unreadable_buyers = 0
    under_review: list[str] = []
    # A buyer's phone and address repeat on each of their orders: fingerprint each once.
    phone_prints: dict[str, Print | None] = {}
    address_prints: dict[str, AddressPrint | None] = {}
    unpaid_statuses: dict[str, bool] = {}
    # The newest Taobao report's phones are all privacy numbers, even those written
    # without an extension: the 虚拟号过期时间 beside them says so.
    all_virtual = "virtual_expiry" in found_keys
    split_address = bool({"province", "city", "district", "street", "region"} & found_keys)
    # An ERP's orders each name their platform (订单来源, else the shop's name).
    per_order_platform = export_format.erp and bool({"source", "shop_name"} & found_keys)
    platform_names: dict[tuple[str, str], str] = {}
    platforms: dict[str, int] = {}
    # 旺店通's item-level header set names each row by its sub-order (子单原始单号): the
    # rows of one ERP order (订单编号) are one order. Where the platform's own order number
    # is there (原始单号), each is an order, even when the ERP shipped several together.
    group_by_erp = (
        export_format.erp
        and "erp_order" in found_keys
        and "子单原始单号" in table.headers
        and "原始单号" not in table.headers
    )
    erp_orders: dict[str, str] = {}  # an ERP number → the platform order number of its first row
    no_print = (None, None, None)
    no_address: tuple[None, None, None, bool] = (None, None, None, False)
    buyers_seen: set[tuple[str, str]] = set()
    digests_seen: set[str] = set()
    new_buyers: list[tuple[str, str]] = []
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

    def buyer_of(cell: str) -> str | None:
        """The buyer id of a cell; "" for none (empty, masked); None: not a buyer id."""
        text = cell.strip()
        if text[:1] in ("=", "'"):
            text = clean_cell(text)
        if not text or hidden(text):
            return ""
        try:
            return normalise_buyer_id(text)
        except BadInput:
            return None

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
            nick_cell,
            region,
            source,
            shop_name,
            review_cell,
            _,
            erp_cell,
        ),
    ) in enumerate(zip(table.lines, table.rows, strict=False)):
        if index == hand_over_at:
            hand_over(index)
            hand_over_at += every
        order_text = clean_cell(order_cell)
        if not order_text or order_text in _PLACEHOLDERS:
            skipped.append((line, label("order_missing", "UnreadableRow")))
            continue
        if ("E" in order_text or "e" in order_text) and SCIENTIFIC_RE.match(order_text):
            damaged += 1
            skipped.append((line, label("excel_scientific", "UnreadableRow", order_text[:20])))
            continue
        # 万里牛 joins the orders it shipped together with |: each is an order. (Only in an
        # ERP's file: anywhere else a | is part of whatever the cell holds.)
        order_nos = (
            [part.strip() for part in order_text.split("|") if part.strip()]
            if export_format.erp and "|" in order_text
            else [order_text]
        )
        if receivers:
            address_text, province, city, district, street, phone_text = receivers.get(order_text, ("",) * 6)
        buyer_id = buyer_of(buyer_cell) if buyer_cell else ""
        if not buyer_id and nick_cell:
            # The member name is an opaque id (or empty) in the newest Taobao report:
            # the nickname beside it names the buyer.
            buyer_id = buyer_of(nick_cell) or buyer_id
        if buyer_id is None:
            # Not a buyer id (an opaque id with : = +, a phone): the row is screened
            # without a buyer, by its phone, address and order, not dropped.
            unreadable_buyers += 1
            buyer_id = ""
        platform = ""
        if per_order_platform:
            key = (source, shop_name)
            platform = platform_names.get(key, "")
            if key not in platform_names:
                named = platform_in(clean_cell(source)) or platform_in(clean_cell(shop_name))
                platform = platform_names[key] = named.value if named else ""
        if buyer_id and (platform, buyer_id) not in buyers_seen:
            buyers_seen.add((platform, buyer_id))
            new_buyers.append((platform, buyer_id))
        phone_key = phone_text.strip()
        if phone_key:
            phones_seen += 1
        phone = phone_prints.get(phone_key, no_print)
        if phone is no_print:
            phone = phone_prints[phone_key] = None if all_virtual else _phone_print(phone_key, fingerprinter)
            if phone is not None and phone[0] not in digests_seen:
                digests_seen.add(phone[0])
                new_phones.append(phone[0])
        virtual = False
        if phone is None and phone_key:
            cleaned = clean_cell(phone_key)
            if hidden(cleaned):
                phones_hidden += 1
            else:
                virtual = all_virtual or is_virtual_number(cleaned)
        if split_address:
            # A placeholder in any part (抖店's "-", an encrypted $$… detail) is no part;
            # 旺店通's region in one column stands where the province does.
            address_text = _address_text(
                *(_visible(cell) for cell in (address_text, province or region, city, district, street))
            )
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
        reviewing = bool(review_cell) and clean_cell(review_cell) == "是"
        if group_by_erp and len(order_nos) == 1:
            # The rows of one ERP order (a sub-order each) are that order's.
            erp_no = clean_cell(erp_cell)
            if erp_no:
                order_nos = [erp_orders.setdefault(erp_no, order_nos[0])]
        phone_digest, phone_mask, phone_province_ = phone or no_print
        address_digest, address_mask, address_province_, receives_for_many = address or no_address
        for order_no in order_nos:
            known = by_order.get(order_no[:64])
            if known is not None:
                # Another line of the same order (a JD SKU, a 抖店 sub-order): one order.
                known.titles = (*known.titles, item)
                if known.quantity is not None and count is not None:
                    known.quantity += count
                known.unpaid = known.unpaid or unpaid
                continue
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
                platform=platform,
            )
            if reviewing:
                under_review.append(order_no[:64])
            if virtual:
                virtual_phones += 1
            if per_order_platform:
                platforms[platform] = platforms.get(platform, 0) + 1
    if found is not None:
        hand_over(rows_total)
    readable = any(p is not None for p in phone_prints.values())
    if readable:
        phones = PhoneColumn.readable
    elif virtual_phones:
        phones = PhoneColumn.virtual
    elif phones_seen and phones_hidden:
        phones = PhoneColumn.hidden
    else:
        phones = PhoneColumn.none
    return ParsedOrders(
        list(by_order.values()),
        skipped,
        missing_optional,
        export_format,
        has_buyers=bool({"buyer", "buyer_nick"} & found_keys) and any(o.buyer_id for o in by_order.values()),
        phones=phones,
        damaged=damaged,
        virtual_phones=virtual_phones,
        unreadable_buyers=unreadable_buyers,
        under_review=under_review,
        platforms=platforms,
    )
