"""What a chat or order screenshot says, from the lines OCR read in it (bot/screening/
ocr.py): the buyer (the chat's title, or the value after a platform's label such as
「买家：」「会员名」), order numbers, phone numbers, amounts, QQ and WeChat ids, and the
buyer's demand. Plain lines in, a Reading out; nothing here reads pixels.

Privacy first: each line's phone numbers are hashed and masked, and the line redacted
(bot/identity/text.py), before anything else looks at it. This runs inside the OCR worker
process, so a phone number in clear never leaves it.

A demand is extortion (差评敲诈) when the buyer's own words tie an amount of money to
changing or removing a review (「给我返现20元我就改好评」「转我15元，差评马上删」) or to a
bad review threatened. The merchant's own words (the right-hand side of a chat) never
count: 「好评返现2元」 is a shop's offer, not a demand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from bot.commands.requests import AMOUNT_MAX_FEN, normalise_order
from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.fingerprints import Fingerprinter, Trait
from bot.identity.platforms import Platform, platform_words
from bot.identity.text import mobiles_in, redact
from bot.scoring.categories import Category

DEMAND_MAX = 120  # characters of the buyer's words kept as the demand


@dataclass(frozen=True)
class TextLine:
    """One line OCR read, and where it stands in the picture (pixels)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Contact:
    kind: str  # "qq" | "wechat"
    value: str


@dataclass(frozen=True)
class FoundBuyer:
    buyer_id: str  # normalised (bot.identity.buyers)
    source: str  # "title": the chat's title; "label": after 买家：/会员名…


@dataclass(frozen=True)
class Reading:
    """Everything read from one screenshot; phones only as masks and keyed digests."""

    platform: Platform | None  # the platform the screenshot's words name; None: not told
    buyers: tuple[FoundBuyer, ...] = ()
    orders: tuple[str, ...] = ()
    phones: tuple[Trait, ...] = ()  # found in clear: hashed and masked at once
    masked_phones: tuple[str, ...] = ()  # already masked in the picture (138****1234)
    amounts: tuple[int, ...] = ()  # fen, in reading order
    paid_fen: int | None = None  # the amount after a 实付款-like label
    contacts: tuple[Contact, ...] = ()
    demand: str | None = None  # the buyer's words that ask for money (redacted)
    demand_fen: int | None = None
    category: Category | None = None  # 差评敲诈 when the demand is there
    flags: tuple[str, ...] = ()  # red flag codes (bot/data/red_flags.toml)
    lines: int = 0  # how many lines were read

    @property
    def buyer_ids(self) -> list[str]:
        return [b.buyer_id for b in self.buyers]

    @property
    def phone_masks(self) -> list[str]:
        return [t.mask for t in self.phones] + list(self.masked_phones)

    @property
    def empty(self) -> bool:
        return not (self.buyers or self.orders or self.phones or self.masked_phones or self.contacts or self.demand)


# -- the words ---------------------------------------------------------------------------------

# Amounts: ¥29.90, 20元, 15块(钱), or a few Chinese numerals (二十元).
_AMOUNT_RE = re.compile(
    r"¥\s*(\d{1,7}(?:\.\d{1,2})?)|(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块|rmb)|([一二两三四五六七八九十百]{1,5})\s*(?:元|块)",
    re.IGNORECASE,
)
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Changing or removing a review, or one threatened: what money is demanded for.
_REVIEW_CHANGE_RE = re.compile(
    r"改(?:成|为|个|下|一下|掉)?(?:好评|五星|评价|评论|评)"
    r"|(?:删|撤|去)(?:除|掉|了|销|回)?(?:差评|中评|评价|评论|评)"
    r"|追(?:加)?(?:个)?好评"
    r"|(?:差评|中评|评价).{0,8}?(?:删|撤|改|去掉)"
    r"|(?:不|否则|不然|要不然|要不).{0,12}?(?:差评|中评)"
    r"|(?:给我|要)返现|返现.{0,8}?(?:就|才)"
)
_PAY_RE = re.compile(r"给我|转我|转账|赔我|赔偿|补偿|红包|返现|打钱|打款|给钱|付我")
_MOVE_RE = re.compile(
    r"加(?:我)?(?:个)?(?:qq|扣扣|企鹅|微信|vx|v信|wx|薇信|威信)|(?:qq|微信|vx|wx)(?:上)?(?:聊|谈|说|联系|详谈)"
    r"|打(?:我)?电话|电话(?:联系|沟通|说)",
    re.IGNORECASE,
)
_QQ_RE = re.compile(r"(?:qq|扣扣|企鹅)(?:号)?[:：\s]*([1-9]\d{4,10})(?!\d)", re.IGNORECASE)
_WECHAT_RE = re.compile(
    r"(?:微信|weixin|wechat|vx|wx|v信|薇信|威信)(?:号)?[:：\s]*([a-z][-_a-z0-9]{5,19}|[1-9]\d{4,10}(?!\d))",
    re.IGNORECASE,
)
_MASKED_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)")
_PDD_ORDER_RE = re.compile(r"(?<![\d\-])\d{6}-\d{15}(?![\d\-])")
_LONG_ORDER_RE = re.compile(r"(?<![\d\-])\d{16,20}(?![\d\-])")
_ORDER_VALUE_RE = re.compile(r"[0-9a-z][0-9a-z\-_]{5,63}", re.IGNORECASE)
_TIME_RE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$|^(?:昨天|今天|星期.|周.)\s*\d{1,2}:\d{2}$")
_BRACKETED_RE = re.compile(r"[(\[【〔][^)\]】〕]{0,12}[)\]】〕]")
# The chrome around a chat's title that is never a buyer: page titles and states.
_NOT_A_TITLE = (
    "订单详情",
    "订单信息",
    "聊天",
    "消息",
    "客服",
    "返回",
    "在线",
    "离线",
    "详情",
    "接待",
    "工作台",
    "商家",
    "后台",
    "正在输入",
)


@lru_cache(maxsize=1)
def _labels() -> tuple[dict[Platform, tuple[str, ...]], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Each platform's marks, and every platform's buyer, order and paid labels, longest first."""
    marks = {p: platform_words(p).screenshot_marks for p in Platform}

    def union(kind: str) -> tuple[str, ...]:
        words = {w for p in Platform for w in getattr(platform_words(p), kind)}
        return tuple(sorted(words, key=len, reverse=True))

    return marks, union("buyer_labels"), union("order_labels"), union("paid_labels")


def _view(text: str) -> str:
    """NFKC (full-width colons, digits and ￥ to their ASCII forms), spaces between CJK kept."""
    return unicodedata.normalize("NFKC", text).strip()


def _fen(match: re.Match[str]) -> int | None:
    number = match.group(1) or match.group(2)
    if number is None:
        return _chinese_fen(match.group(3))
    try:
        fen = int(Decimal(number) * 100)
    except InvalidOperation:
        return None
    return fen if 0 < fen <= AMOUNT_MAX_FEN else None


def _chinese_fen(word: str) -> int | None:
    """一百, 二十, 五十, 十五, 三: small amounts written in Chinese."""
    total, current = 0, 0
    for ch in word:
        if ch in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    total += current
    return total * 100 if total else None


def amounts_in(text: str) -> list[int]:
    return [fen for fen in (_fen(m) for m in _AMOUNT_RE.finditer(text)) if fen is not None]


def _buyer(raw: str) -> str | None:
    raw = _BRACKETED_RE.sub("", raw).strip(" <>《》「」\"'")
    if not raw or _TIME_RE.match(raw):
        return None
    try:
        return normalise_buyer_id(raw)
    except BadInput:
        return None


def _order(raw: str) -> str | None:
    try:
        return normalise_order(raw)
    except BadInput:
        return None


@dataclass
class _Line:
    source: TextLine
    view: str  # NFKC and redacted: what every later step reads


def _after_label(view: str, labels: Sequence[str], loose: bool) -> tuple[bool, str | None]:
    """(the line has one of the labels, the value after it). A label needs a colon after
    it, except a long one (买家昵称) when `loose`: 「买家已付款」 names no buyer."""
    for label in labels:
        at = view.find(label)
        if at < 0 or (at > 0 and view[at - 1] not in " |,;:·"):
            continue
        rest = view[at + len(label) :]
        colon = re.match(r"\s*[:：]\s*", rest)
        if colon:
            value = rest[colon.end() :].split()
            return True, value[0] if value else None
        if loose and len(label) >= 3 and rest and not rest[0].isspace():
            return True, rest.split()[0]
    return False, None


def _right_of(lines: Sequence[_Line], line: _Line) -> _Line | None:
    """The line that continues `line` on its row (a label and its value read apart)."""
    box = line.source
    middle = (box.top + box.bottom) / 2
    row = [
        other
        for other in lines
        if other is not line
        and other.source.left >= box.right - 4
        and other.source.top <= middle <= other.source.bottom
    ]
    return min(row, key=lambda other: other.source.left) if row else None


def _platform(text: str, orders: Sequence[str], default: Platform | None) -> Platform | None:
    """The platform the chrome's words name; else 拼多多 for its order numbers (the only
    ones of their own shape); else `default`."""
    marks, *_ = _labels()
    hits = {p: sum(text.count(word) for word in words) for p, words in marks.items()}
    best = max(hits, key=lambda p: hits[p])
    if hits[best] == 0:
        return Platform.pdd if any(_PDD_ORDER_RE.fullmatch(order) for order in orders) else default
    if best == Platform.taobao and hits[Platform.tmall]:
        return Platform.tmall
    return best


def _title(lines: Sequence[_Line], width: float, height: float) -> str | None:
    """The chat's title: the tallest line of the top band near the middle that is not the
    app's chrome, a page title or a time."""
    band = min(0.18 * height, 0.35 * width)
    marks, *_ = _labels()
    chrome = {w for words in marks.values() for w in words} | set(_NOT_A_TITLE)
    candidates = [
        line
        for line in lines
        if line.source.top < band
        and abs((line.source.left + line.source.right) / 2 - width / 2) < 0.22 * width
        and not any(word in line.view for word in chrome)
        and not _TIME_RE.match(line.view)
    ]
    if not candidates:
        return None
    return _buyer(max(candidates, key=lambda line: line.source.height).view)


def _sides(lines: Sequence[_Line], width: float, height: float) -> tuple[list[_Line], list[_Line]]:
    """The other party's lines of a chat (bubbles on the left) and the rest below the top
    band. Where no line stands on the right (a desktop client lists everyone on the
    left), every line is taken for the buyer's: the sides cannot be told apart."""
    band = min(0.18 * height, 0.35 * width)
    body = [line for line in lines if line.source.top >= band]
    left = [line for line in body if line.source.left < 0.2 * width]
    if len(left) == len(body):
        return body, []
    return left, [line for line in body if line.source.left >= 0.2 * width]


def _utterances(buyer: Sequence[_Line], others: Sequence[_Line]) -> list[tuple[str, bool]]:
    """The buyer's bubbles (lines joined where one wraps onto the next), each with
    whether it follows the previous one directly (no one else's line between)."""
    said: list[list[_Line]] = []
    for line in sorted(buyer, key=lambda line: line.source.top):
        previous = said[-1][-1] if said else None
        if previous is not None and line.source.top - previous.source.bottom < 0.6 * previous.source.height:
            said[-1].append(line)
        else:
            said.append([line])
    bubbles = []
    for index, group in enumerate(said):
        follows = index > 0 and not any(
            said[index - 1][-1].source.bottom <= other.source.top <= group[0].source.top for other in others
        )
        bubbles.append(("".join(line.view for line in group), follows))
    return bubbles


def _demand_in(text: str, two_bubbles: bool) -> int | None:
    """The amount demanded, where `text` ties money to a review. A change already made
    (「我已经改成好评了」) is no demand; across two bubbles, one of them must also ask to
    be paid (给/转/赔/红包/返现…), so that two unrelated lines do not make one."""
    amounts = amounts_in(text)
    if not amounts:
        return None
    for match in _REVIEW_CHANGE_RE.finditer(text):
        if "已" in text[max(0, match.start() - 4) : match.start()]:
            continue
        if two_bubbles and not _PAY_RE.search(text):
            return None
        return amounts[0]
    return None


def _demand(bubbles: Sequence[tuple[str, bool]]) -> tuple[str | None, int | None]:
    """The buyer's words that tie money to a review: one bubble, else two in a row."""
    windows = [(said, False) for said, _ in bubbles]
    windows += [(f"{bubbles[i - 1][0]} {said}", True) for i, (said, follows) in enumerate(bubbles) if follows]
    for window, two_bubbles in windows:
        fen = _demand_in(window, two_bubbles)
        if fen is not None:
            return (window if len(window) <= DEMAND_MAX else window[:DEMAND_MAX] + "…"), fen
    return None, None


def _labelled(read: Sequence[_Line]) -> tuple[list[FoundBuyer], list[str], int | None]:
    """The buyers, order numbers and amount paid written after their labels."""
    _, buyer_labels, order_labels, paid_labels = _labels()
    buyers: list[FoundBuyer] = []
    orders: list[str] = []
    paid: int | None = None
    for line in read:
        for labels, kind in ((buyer_labels, "buyer"), (order_labels, "order"), (paid_labels, "paid")):
            labelled, value = _after_label(line.view, labels, loose=kind != "paid")
            if not labelled:
                continue
            if value is None:
                beside = _right_of(read, line)
                value = beside.view.split()[0] if beside is not None and beside.view.split() else None
            if value is None:
                break
            if kind == "buyer":
                buyer = _buyer(value)
                if buyer and buyer not in [b.buyer_id for b in buyers]:
                    buyers.append(FoundBuyer(buyer, "label"))
            elif kind == "order":
                match = _ORDER_VALUE_RE.match(value)
                found = _order(match.group(0)) if match else None
                if found and found not in orders:
                    orders.append(found)
            elif paid is None:
                amounts = amounts_in(value) or amounts_in(f"¥{value}")
                paid = amounts[0] if amounts else None
            break
    return buyers, orders, paid


def _contacts(text: str) -> list[Contact]:
    contacts: list[Contact] = []
    for kind, pattern in (("qq", _QQ_RE), ("wechat", _WECHAT_RE)):
        for match in pattern.finditer(text):
            contact = Contact(kind, match.group(1))
            if contact not in contacts:
                contacts.append(contact)
    return contacts


def read_lines(
    lines: Sequence[TextLine],
    width: float,
    height: float,
    fingerprinter: Fingerprinter,
    default_platform: Platform | None = None,
) -> Reading:
    """Read a screenshot's lines (in any order) into what it says."""
    phones: dict[str, Trait] = {}
    masked: list[str] = []
    read: list[_Line] = []
    for text_line in lines:
        view = _view(text_line.text)
        masked.extend(m for m in _MASKED_PHONE_RE.findall(view) if m not in masked)
        for digits in mobiles_in(view):
            trait = fingerprinter.phone_normalised(digits)
            phones.setdefault(trait.digest, trait)
        read.append(_Line(text_line, redact(view)))
    read.sort(key=lambda line: (line.source.top, line.source.left))
    whole = "\n".join(line.view for line in read)

    buyers, orders, paid = _labelled(read)
    for pattern in (_PDD_ORDER_RE, _LONG_ORDER_RE):
        for match in pattern.finditer(whole):
            found = _order(match.group(0))
            if found and found not in orders:
                orders.append(found)
    title = _title(read, width, height)
    if title is not None and title not in [b.buyer_id for b in buyers]:
        buyers.insert(0, FoundBuyer(title, "title"))

    buyer_side, others = _sides(read, width, height)
    demand, demand_fen = _demand(_utterances(buyer_side, others))
    buyer_words = "\n".join(line.view for line in buyer_side)
    flags = ["demands_money"] if demand is not None else []
    if _MOVE_RE.search(buyer_words) or _contacts(buyer_words):
        flags.append("move_to_qq")
    return Reading(
        platform=_platform(whole, orders, default_platform),
        buyers=tuple(buyers),
        orders=tuple(orders),
        phones=tuple(phones.values()),
        masked_phones=tuple(masked),
        amounts=tuple(amounts_in(whole)),
        paid_fen=paid,
        contacts=tuple(_contacts(whole)),
        demand=demand,
        demand_fen=demand_fen,
        category=Category.extortion if demand is not None else None,
        flags=tuple(flags),
        lines=len(read),
    )
