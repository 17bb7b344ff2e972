"""The chat's grammar (DESIGN.md §5): a command's words turned into the requests of
bot/commands/requests.py. This module only finds the parts (which word is the buyer,
the order number, the amount); the limits and the normalising are the request types'
own, the same for every front door. Plain text in, a request or a BadInput out; nothing
here knows which chat it came from."""

from __future__ import annotations

import re
import unicodedata

from bot.cases.flows import DROP_WORDS, find_scenario, scenarios
from bot.commands.requests import (
    AllowRequest,
    AppealRequest,
    BindRequest,
    CheckRequest,
    GuideRequest,
    ReportRequest,
    RobotRequest,
    normalise_order,
)
from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import (
    SEPARATORS,
    ascii_view,
    excerpt,
    fold,
    is_mobile,
    is_virtual_number,
    mask_mobile,
    mobile_digits,
    refuse_surrogates,
)
from bot.scoring.red_flags import typed_flags

# A command is a line or two; a longer message is refused before it is parsed.
MESSAGE_MAX = 4000

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
    if len(text) > MESSAGE_MAX:
        raise BadInput("message_too_long", limit=MESSAGE_MAX)
    refuse_surrogates(text)
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


def _keyed_value(tokens: list[str], i: int, key: str, value: str, given: bool) -> tuple[str, int]:
    """The value of the `key:` at tokens[i], after its colon or in the next token
    (`手机： 138…`), and where the next token to read is; refused when it is empty or the
    key was `given` already."""
    value = value.strip()
    if not value and i + 1 < len(tokens):
        i += 1
        value = tokens[i]
    if not value:
        raise BadInput("keyed_empty", key=key)
    if given:
        raise BadInput("keyed_twice", key=key)
    return value, i


def _split_keyed(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take `手机:…`, `地址:…`, `订单:…`, `金额:…` out of the arguments wherever they stand
    (also written `手机：…` or `手机: …`). A phone typed with spaces ("手机：+86 138 1234
    5678") takes the following digit groups with it."""
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
        value, i = _keyed_value(tokens, i, key, value, kind in keyed)
        if kind in ("phone", "order") and not is_mobile(value):
            # The following digit groups, if with them the value spells a mobile number
            # (refused where an order number goes, hashed where a phone does), or a
            # privacy number (refused as one).
            for more in range(1, 9):
                parts = tokens[i + 1 : i + 1 + more]
                if len(parts) < more or not _PHONE_PART_RE.match(ascii_view(fold(parts[-1]))):
                    break
                joined = " ".join([value, *parts])
                if is_mobile(joined) or (kind == "phone" and is_virtual_number(joined)):
                    value = joined
                    i += more
                    break
        keyed[kind] = value
        i += 1
    return positional, keyed


# A word that may continue a phone number: its digits and separators only.
_PHONE_PART_RE = re.compile(rf"^[0-9+{SEPARATORS}]{{1,16}}$")


def _take_platform(
    positional: list[str], default: Platform | None = Platform.taobao, alone: bool = False
) -> tuple[Platform | None, list[str]]:
    """The platform written first, else `default`: the sender's own shop's platform (a
    拼多多 shop's /举报 without a platform is about a 拼多多 buyer), else their group's
    (/设置 平台), else None where the command looks on every platform. alone: the
    platform may stand without a buyer (`/查 拼多多 手机:…`)."""
    platform = parse_platform(positional[0]) if positional else None
    if platform is None:
        return default, positional
    if len(positional) == 1 and not alone:
        # "/查 拼多多": a platform with nothing after it is a missing buyer id, not a
        # buyer called 拼多多.
        raise BadInput("buyer_id_missing")
    return platform, positional[1:]


_ORDER_LIKE_RE = re.compile(r"^[0-9a-z][0-9a-z\-_]{5,63}$")
_AMOUNT_LIKE_RE = re.compile(r"^[¥$]|(元|块|块钱|rmb)$|^[-+]?[\d.,]+$")


def looks_like_order(token: str) -> bool:
    folded = fold(token)
    return bool(_ORDER_LIKE_RE.match(folded)) and sum(ch.isdigit() for ch in folded) >= 6


def refuse_leading_phone(tokens: list[str]) -> None:
    """Refuses the first tokens when they spell a mobile number ("138 1234 5678" typed
    where the order number goes), naming it masked only."""
    for count in range(1, min(len(tokens), 11) + 1):
        words = " ".join(tokens[:count])
        if is_mobile(words):
            raise BadInput("phone_as_order", phone=mask_mobile(mobile_digits(words)))


def _looks_like_amount(token: str) -> bool:
    return bool(_AMOUNT_LIKE_RE.search(fold(token).replace("￥", "¥")))


def parse_bind(text: str) -> BindRequest:
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("bind_missing")
    platform = parse_platform(tokens[0])
    if platform is None:
        raise BadInput("platform_unknown", word=excerpt(tokens[0]))
    return BindRequest.make(platform, " ".join(tokens[1:]))


_ALERT_NUMBER_RE = re.compile(r"^(?:预警|alert)#?(\d{1,12})$")
_DETAIL_WORDS = ("详细", "详情", "detail", "全部")


def parse_check(text: str, default: Platform | None = Platform.taobao) -> CheckRequest:
    """`[平台] <买家ID> [红旗词…] [手机:…] [地址:…] [详细]`, or `[平台] 手机:… [地址:…]`
    without a buyer id. default: the asker's platform; None: every platform."""
    positional, keyed = _split_keyed(tokenize(text))
    if set(keyed) - {"phone", "address"}:
        word = next(iter(set(keyed) - {"phone", "address"}))
        raise BadInput("clue_unknown", word=excerpt(word), flags=typed_flags())
    detail = bool(positional) and fold(positional[-1]) in _DETAIL_WORDS
    if detail:
        positional = positional[:-1]
    if not positional and not keyed:
        raise BadInput("buyer_id_missing", clues_allowed=True)
    alert = _ALERT_NUMBER_RE.match(fold(positional[0])) if positional else None
    if alert:
        if len(positional) > 1 or keyed:
            raise BadInput("alert_number_alone", word=excerpt(" ".join(positional[1:])))
        return CheckRequest.of_alert(default, int(alert.group(1)), detail)
    platform, rest = _take_platform(positional, default, alone=bool(keyed))
    if not rest:
        # A phone or an address alone: the receiver of an order without a buyer account.
        return CheckRequest.make(platform, None, keyed.get("phone"), keyed.get("address"), (), detail)
    return CheckRequest.make(platform, rest[0], keyed.get("phone"), keyed.get("address"), rest[1:], detail)


def parse_report(text: str, default: Platform = Platform.taobao) -> ReportRequest:
    """`[平台] <买家ID> <类型> [订单号] [金额] [说明…]`: the first word after the type that
    looks like an order number is the order, then a number like 30 or 29.9元 the amount;
    `订单:…` and `金额:…` may stand anywhere."""
    positional, keyed = _split_keyed(tokenize(text))
    if not positional:
        raise BadInput("report_missing")
    platform, rest = _take_platform(positional, default)
    if platform is None:
        raise BadInput("platform_missing")
    buyer, category, rest = rest[0], (rest[1] if len(rest) > 1 else ""), rest[2:]
    order = keyed.get("order")
    if order is None and rest:
        refuse_leading_phone(rest)
    if order is None and rest and looks_like_order(rest[0]):
        order = rest.pop(0)
    amount = keyed.get("amount")
    if amount is None and rest and _looks_like_amount(rest[0]):
        amount = rest.pop(0)
    return ReportRequest.make(
        platform, buyer, category, order, amount, " ".join(rest), keyed.get("phone"), keyed.get("address")
    )


def parse_report_number(text: str) -> int:
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("report_number_missing")
    match = re.fullmatch(r"#?(\d{1,12})", fold(tokens[0]))
    if len(tokens) > 1 or not match:
        raise BadInput("report_number_invalid", word=excerpt(text.strip(), 30))
    return int(match.group(1))


# /令牌 更换: the words that replace the shop's API key (alone, /令牌 only shows it).
_REPLACE_KEY_WORDS = {"更换", "换", "重置", "replace", "rotate"}


def parse_api_key(text: str) -> bool:
    """`/令牌 [更换]`: whether to replace the shop's key."""
    tokens = tokenize(text)
    if not tokens:
        return False
    if len(tokens) > 1 or fold(tokens[0]) not in _REPLACE_KEY_WORDS:
        raise BadInput("api_key_word", word=text.strip()[:20])
    return True


def _buyer_and_rest(text: str, default: Platform | None) -> tuple[Platform | None, str, str]:
    """`[平台] <买家ID> <文字…>`."""
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("buyer_id_missing")
    platform, rest = _take_platform(tokens, default)
    return platform, rest[0], " ".join(rest[1:])


def parse_appeal(text: str, default: Platform | None = Platform.taobao) -> AppealRequest:
    """`[平台] <买家ID> <理由…>`; default None: the buyer is looked for on every platform."""
    return AppealRequest.make(*_buyer_and_rest(text, default))


def parse_allowance(text: str, default: Platform | None = Platform.taobao) -> AllowRequest:
    """`/设置 放行 [平台] <买家ID> <理由…>`; without a platform known, it must be written."""
    platform, buyer, reason = _buyer_and_rest(text, default)
    if platform is None:
        raise BadInput("platform_missing")
    return AllowRequest.make(platform, buyer, reason)


def parse_buyer(text: str, default: Platform | None = Platform.taobao) -> tuple[Platform, str]:
    """`[平台] <买家ID>` and nothing else; without a platform known, it must be written."""
    tokens = tokenize(text)
    if not tokens:
        raise BadInput("buyer_id_missing")
    platform, rest = _take_platform(tokens, default)
    if len(rest) > 1:
        raise BadInput("buyer_only", word=excerpt(" ".join(rest[1:])))
    if platform is None:
        raise BadInput("platform_missing")
    return platform, normalise_buyer_id(rest[0])


def parse_guide_arguments(text: str, default_platform: Platform = Platform.taobao) -> GuideRequest:
    """default_platform: the buyer's platform when none is written (the shop's own)."""
    tokens = tokenize(text)
    if not tokens:
        return GuideRequest()
    first = fold(tokens[0])
    if first.startswith("#") and first[1:].isdigit():
        # #12 is a case; a bare number is a scenario from the menu.
        if len(tokens) > 2 or (len(tokens) == 2 and fold(tokens[1]) not in DROP_WORDS):
            raise BadInput("guides.case_action", word=excerpt(" ".join(tokens[1:])))
        return GuideRequest(case_id=int(first[1:]), drop=len(tokens) == 2)
    chosen = find_scenario(tokens[0])
    if chosen is None:
        raise BadInput("guides.unknown_scenario", word=excerpt(tokens[0]), scenarios=scenarios())
    rest = tokens[1:]
    platform = None
    if len(rest) >= 2 and parse_platform(rest[0]):
        platform, rest = parse_platform(rest[0]), rest[1:]
    buyer = normalise_buyer_id(rest[0]) if rest else None
    order = None
    if len(rest) >= 2:
        refuse_leading_phone(rest[1:])
        if not looks_like_order(rest[1]):
            raise BadInput("order_invalid", order=excerpt(rest[1], 70))
        order = normalise_order(rest[1])
    if len(rest) > 2:
        raise BadInput("guides.too_many")
    if buyer and platform is None:
        platform = default_platform
    return GuideRequest(chosen, None, False, platform, buyer, order)


# /机器人 添加 <地址> [企业微信|钉钉|飞书] [密钥:…] [关键词:…] [预警:…] [日报:…]: the address is
# the first word that is not keyed (it holds colons of its own: only these keys count).
_ROBOT_KEYS = {
    "密钥": "secret",
    "secret": "secret",
    "加签": "secret",
    "关键词": "keyword",
    "keyword": "keyword",
    "预警": "level",
    "level": "level",
    "日报": "digest",
    "digest": "digest",
    "类型": "kind",
    "kind": "kind",
}


def parse_robot(text: str) -> RobotRequest:
    tokens = tokenize(text)
    address: str | None = None
    parts: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        key, sep, value = token.replace("：", ":", 1).partition(":")
        name = _ROBOT_KEYS.get(key.strip().casefold()) if sep else None
        if name is not None:
            parts[name], i = _keyed_value(tokens, i, key, value, name in parts)
        elif address is None:
            address = token
        elif "kind" not in parts:
            parts["kind"] = token
        else:
            raise BadInput("robots.word_unknown", word=token[:30])
        i += 1
    return RobotRequest.make(address or "", **parts)
