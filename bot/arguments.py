"""The arguments of the commands (DESIGN.md §5), turned into requests the core can act on.

Plain text in, dataclasses or a BadInput out; nothing here knows which chat it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.categories import Category, require_category
from bot.errors import BadInput
from bot.identity import Platform, fold, normalise_buyer_id, parse_platform
from bot.red_flags import parse_flag, typed_flags

SHOP_NAME_MAX = 30
DESCRIPTION_MAX = 500
AMOUNT_MAX_FEN = 100_000_000  # one million yuan: anything above is a typo

_QUOTES = {'"': '"', "“": "”", "「": "」", "'": "'"}

_KEYS = {
    "手机": "phone",
    "手机号": "phone",
    "电话": "phone",
    "phone": "phone",
    "tel": "phone",
    "地址": "address",
    "收货地址": "address",
    "address": "address",
    "addr": "address",
    "订单": "order",
    "订单号": "order",
    "order": "order",
    "金额": "amount",
    "amount": "amount",
}


def tokenize(text: str) -> list[str]:
    """Split on whitespace, keeping "quoted parts" (ASCII or Chinese quotes) together so
    that an address with spaces stays one argument."""
    tokens: list[str] = []
    current: list[str] = []
    closing: str | None = None
    for ch in text:
        if closing is not None:
            if ch == closing:
                closing = None
            else:
                current.append(ch)
        elif ch in _QUOTES:
            closing = _QUOTES[ch]
        elif ch.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        tokens.append("".join(current))
    return tokens


def _split_keyed(tokens: list[str], usage: str) -> tuple[list[str], dict[str, str]]:
    """Take `手机:…`, `地址:…`, `订单:…`, `金额:…` out of the arguments wherever they stand
    (also written `手机：…` or `手机: …`)."""
    positional: list[str] = []
    keyed: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        folded = unicodedata.normalize("NFKC", token)
        key, sep, value = folded.partition(":")
        kind = _KEYS.get(key.strip().casefold()) if sep else None
        if kind is None:
            positional.append(token)
            i += 1
            continue
        value = value.strip()
        if not value and i + 1 < len(tokens):
            i += 1
            value = tokens[i]
        if not value:
            raise BadInput("errors/keyed_empty.j2", key=key, usage=usage)
        if kind in keyed:
            raise BadInput("errors/keyed_twice.j2", key=key, usage=usage)
        keyed[kind] = value
        i += 1
    return positional, keyed


def _take_platform(positional: list[str]) -> tuple[Platform, list[str]]:
    if len(positional) >= 2:
        platform = parse_platform(positional[0])
        if platform is not None:
            return platform, positional[1:]
    return Platform.taobao, positional


_ORDER_RE = re.compile(r"^[0-9a-z][0-9a-z\-_]{5,63}$")
_AMOUNT_RE = re.compile(r"^[¥$]?(\d{1,9})(?:\.(\d{1,2}))?(?:元|块|块钱|rmb)?$")
_AMOUNT_LIKE_RE = re.compile(r"^[¥$]|(元|块|块钱|rmb)$|^[-+]?[\d.,]+$")


def looks_like_order(token: str) -> bool:
    folded = fold(token)
    return bool(_ORDER_RE.match(folded)) and sum(ch.isdigit() for ch in folded) >= 6


def normalise_order(raw: str, usage: str) -> str:
    folded = fold(raw)
    if not _ORDER_RE.match(folded):
        raise BadInput("errors/order_invalid.j2", order=raw[:70], usage=usage)
    return folded


def parse_amount(raw: str, usage: str) -> int:
    """Yuan as typed ("30", "29.9", "¥30", "30元") to fen."""
    folded = fold(raw).replace("￥", "¥")
    match = _AMOUNT_RE.match(folded)
    if not match:
        raise BadInput("errors/amount_invalid.j2", amount=raw[:30], usage=usage)
    try:
        fen = int(Decimal(f"{match.group(1)}.{match.group(2) or '0'}") * 100)
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        raise BadInput("errors/amount_invalid.j2", amount=raw[:30], usage=usage)
    if fen > AMOUNT_MAX_FEN:
        raise BadInput("errors/amount_too_large.j2", amount=raw[:30], usage=usage)
    return fen


def _looks_like_amount(token: str) -> bool:
    return bool(_AMOUNT_LIKE_RE.search(fold(token).replace("￥", "¥")))


@dataclass(frozen=True)
class BindRequest:
    platform: Platform
    name: str


@dataclass(frozen=True)
class CheckRequest:
    platform: Platform
    buyer_id: str
    phone: str | None = None
    address: str | None = None
    flags: tuple[str, ...] = ()  # red flag codes (bot/data/red_flags.toml)


@dataclass(frozen=True)
class ReportRequest:
    platform: Platform
    buyer_id: str
    category: Category
    order_no: str | None = None
    amount_fen: int | None = None
    description: str = ""
    phone: str | None = None
    address: str | None = None


BIND_USAGE = "/绑定 <平台> <店铺名>"
CHECK_USAGE = "/查 [平台] <买家ID> [红旗词…] [手机:号码] [地址:地址]"
REPORT_USAGE = "/举报 [平台] <买家ID> <类型> [订单号] [金额] [说明…]"
RETRACT_USAGE = "/撤回 <举报编号>"


_MOBILE_IN_TEXT_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_MOBILE_RE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")


def clean_text(text: str) -> str:
    # Control and format characters (zero-width spaces, RTL marks) hide text from
    # whoever reads the report later. A mobile number typed into free text would be
    # stored in clear, so it is masked on the way in.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    return _MOBILE_IN_TEXT_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def parse_bind(text: str) -> BindRequest:
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("errors/bind_missing.j2", usage=BIND_USAGE)
    platform = parse_platform(tokens[0])
    if platform is None:
        raise BadInput("errors/platform_unknown.j2", word=tokens[0][:20], usage=BIND_USAGE)
    name = clean_text(" ".join(tokens[1:]))
    if not name:
        raise BadInput("errors/shop_name_missing.j2", usage=BIND_USAGE)
    if len(name) > SHOP_NAME_MAX:
        raise BadInput("errors/shop_name_too_long.j2", limit=SHOP_NAME_MAX, usage=BIND_USAGE)
    if any(unicodedata.category(ch) in ("So", "Cs", "Co") for ch in name):
        raise BadInput("errors/shop_name_bad_chars.j2", usage=BIND_USAGE)
    return BindRequest(platform, name)


def parse_check(text: str) -> CheckRequest:
    positional, keyed = _split_keyed(tokenize(text), CHECK_USAGE)
    if set(keyed) - {"phone", "address"}:
        word = next(iter(set(keyed) - {"phone", "address"}))
        raise BadInput("errors/clue_unknown.j2", word=word, usage=CHECK_USAGE, flags=typed_flags())
    if not positional:
        raise BadInput("errors/buyer_id_missing.j2", usage=CHECK_USAGE)
    platform, rest = _take_platform(positional)
    buyer_id = normalise_buyer_id(rest[0])
    flags: list[str] = []
    for word in rest[1:]:
        red_flag = parse_flag(word)
        if red_flag is None:
            raise BadInput("errors/clue_unknown.j2", word=word[:20], usage=CHECK_USAGE, flags=typed_flags())
        if red_flag.code not in flags:
            flags.append(red_flag.code)
    return CheckRequest(platform, buyer_id, keyed.get("phone"), keyed.get("address"), tuple(flags))


def parse_report(text: str) -> ReportRequest:
    positional, keyed = _split_keyed(tokenize(text), REPORT_USAGE)
    if not positional:
        raise BadInput("errors/report_missing.j2", usage=REPORT_USAGE)
    platform, rest = _take_platform(positional)
    buyer_id = normalise_buyer_id(rest[0])
    if len(rest) < 2:
        raise BadInput("errors/category_missing.j2", usage=REPORT_USAGE, categories=list(Category))
    category = require_category(rest[1])
    rest = rest[2:]

    order_no = normalise_order(keyed["order"], REPORT_USAGE) if "order" in keyed else None
    if order_no is None and rest and _MOBILE_RE.match(fold(rest[0])):
        raise BadInput("errors/phone_as_order.j2", usage=REPORT_USAGE)
    if order_no is None and rest and looks_like_order(rest[0]):
        order_no = normalise_order(rest.pop(0), REPORT_USAGE)
    amount_fen = parse_amount(keyed["amount"], REPORT_USAGE) if "amount" in keyed else None
    if amount_fen is None and rest and _looks_like_amount(rest[0]):
        amount_fen = parse_amount(rest.pop(0), REPORT_USAGE)

    description = clean_text(" ".join(rest))
    if len(description) > DESCRIPTION_MAX:
        raise BadInput("errors/description_too_long.j2", limit=DESCRIPTION_MAX, length=len(description))
    return ReportRequest(
        platform=platform,
        buyer_id=buyer_id,
        category=category,
        order_no=order_no,
        amount_fen=amount_fen,
        description=description,
        phone=keyed.get("phone"),
        address=keyed.get("address"),
    )


def parse_report_number(text: str) -> int:
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("errors/report_number_missing.j2", usage=RETRACT_USAGE)
    match = re.fullmatch(r"#?(\d{1,12})", fold(tokens[0]))
    if len(tokens) > 1 or not match:
        raise BadInput("errors/report_number_invalid.j2", word=text.strip()[:30], usage=RETRACT_USAGE)
    return int(match.group(1))
