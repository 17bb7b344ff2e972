"""What a caller asks of the core, whatever front door it came through, with every limit
and required part of each request written here once. The chat's grammar
(bot/commands/grammar.py) finds the parts in a message's words, the HTTP API in JSON
fields and the dashboard in form fields; each builds a request with `make`, which
normalises (buyer ids folded, amounts in fen, free text redacted) and refuses what is
wrong with a BadInput naming it. A third front door would copy nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import overload
from zoneinfo import ZoneInfo

from bot.cases.flows import Scenario
from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.fingerprints import Trait, normalise_address, normalise_phone
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import clean_text, excerpt, fold, is_mobile, mask_mobile, mobile_digits
from bot.scoring.categories import Category, require_category
from bot.scoring.red_flags import parse_flag, typed_flags

# Limits of the parts of a request (free text is checked twice: raw, before any work,
# at twice the limit; cleaned, at the limit).
SHOP_NAME_MAX = 30
DESCRIPTION_MAX = 500
APPEAL_REASON_MAX = 500
ALLOWANCE_REASON_MAX = 100
AMOUNT_MAX_FEN = 100_000_000  # one million yuan: anything above is a typo
PHONE_TEXT_MAX = 40
ADDRESS_TEXT_MAX = 200
CLUES_MAX = 20

# Phone and address lookups (/查 手机:… 地址:…, the API's phone and address fields) are
# for verified shops only: a phone tried against the pool again and again is a search
# for whose it is. A shop has this many a day (settings.clue_lookups_per_day overrides
# it), the day of Asia/Shanghai: it starts again at 0:00 Beijing time, which is what the
# replies and the API's X-RateLimit-Reset and Retry-After say. Each buyer checked with a
# phone or an address (or both) is one lookup; a batch over what is left is answered
# item by item.
CLUE_LOOKUPS_PER_DAY = 200
_LOOKUP_DAY_ZONE = ZoneInfo("Asia/Shanghai")


def lookup_day(now: datetime) -> tuple[str, datetime]:
    """The allowance's day (YYYY-MM-DD) at `now` and the moment the next one starts."""
    local = now.astimezone(_LOOKUP_DAY_ZONE)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), _LOOKUP_DAY_ZONE)
    return local.date().isoformat(), tomorrow


@dataclass(frozen=True)
class LookupAllowance:
    """A shop's phone and address lookups today: what the reply and the API's headers say."""

    limit: int
    used: int
    resets_at: datetime
    now: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def seconds_to_reset(self) -> int:
        return max(1, int((self.resets_at - self.now).total_seconds() + 0.999))


# A screenshot read for a check or a report (bot/screening/ocr.py): refused past these
# before a pixel is decoded, from the picture's header (a phone's long screenshot is about
# 1080×7000; reading takes ~0.7 s per million pixels on one core). One picture, not an
# animation. Of one message's pictures, the first SCREENSHOTS_PER_MESSAGE are read.
SCREENSHOT_MAX_BYTES = 10 * 1024 * 1024
SCREENSHOT_MAX_PIXELS = 8_000_000
SCREENSHOT_MAX_SIDE = 8000
SCREENSHOT_MIN_SIDE = 24
SCREENSHOT_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
SCREENSHOTS_PER_MESSAGE = 3

_ORDER_RE = re.compile(r"^[0-9a-z][0-9a-z\-_]{5,63}$")
_AMOUNT_RE = re.compile(r"^[¥$]?(\d{1,9})(?:\.(\d{1,2}))?(?:元|块|块钱|rmb)?$")


@overload
def platform_or(word: str | None, default: Platform) -> Platform: ...
@overload
def platform_or(word: str | None, default: None) -> Platform | None: ...
def platform_or(word: str | None, default: Platform | None) -> Platform | None:
    """A platform as typed (淘宝, pdd…), or `default` where none is given."""
    if word is None or not word.strip():
        return default
    platform = parse_platform(word[:20])
    if platform is None:
        raise BadInput("platform_unknown", word=excerpt(word))
    return platform


def normalise_order(raw: str) -> str:
    """An order number as the platforms write them: letters, digits, - and _. A mobile
    number in any form is refused with its own message: it would be stored in clear."""
    if len(raw) > 200:
        raise BadInput("order_invalid", order=excerpt(raw, 70))
    if is_mobile(raw):
        raise BadInput("phone_as_order", phone=mask_mobile(mobile_digits(raw)))
    folded = fold(raw)
    if not _ORDER_RE.match(folded):
        raise BadInput("order_invalid", order=excerpt(raw, 70))
    return folded


def parse_amount(raw: str) -> int:
    """Yuan as typed ("30", "29.9", "¥30", "30元") to fen."""
    folded = fold(raw[:30]).replace("￥", "¥")
    match = _AMOUNT_RE.match(folded)
    if not match:
        raise BadInput("amount_invalid", amount=excerpt(raw, 30))
    fen = int(Decimal(f"{match.group(1)}.{match.group(2) or '0'}") * 100)
    if fen > AMOUNT_MAX_FEN:
        raise BadInput("amount_too_large", amount=excerpt(raw, 30))
    return fen


def free_text(raw: str, limit: int, missing: str | None = None) -> str:
    """Free text on its way in: refused past the limit before any work, then cleaned and
    redacted (bot.identity.text.clean_text), refused past the limit again; `missing`:
    the refusal when nothing is left."""
    if len(raw) > limit * 2:
        raise BadInput("description_too_long", limit=limit, length=len(raw))
    text = clean_text(raw)
    if missing is not None and not text:
        raise BadInput(missing)
    if len(text) > limit:
        raise BadInput("description_too_long", limit=limit, length=len(text))
    return text


DECISION_NOTE_MAX = 200


def decision_note(raw: str) -> str:
    """What a 版主 writes with a decision (shown to the shops and the appellant)."""
    return free_text(raw, DECISION_NOTE_MAX)


def evidence_note(raw: str) -> str:
    """What a shop writes with its evidence (a joint case, an appeal's answer)."""
    return free_text(raw, DESCRIPTION_MAX)


def _clue(raw: str | None, limit: int) -> str | None:
    """A phone or an address as typed, refused here (before any lookup is counted) when
    it cannot be one: a privacy number, a landline, three characters."""
    if raw is None or not raw.strip():
        return None
    phone = limit == PHONE_TEXT_MAX
    if len(raw) > limit:
        raise BadInput("phone_invalid" if phone else "address_invalid")
    if phone:
        normalise_phone(raw)
    else:
        normalise_address(raw)
    return raw


@dataclass(frozen=True)
class BindRequest:
    platform: Platform
    name: str

    @classmethod
    def make(cls, platform: Platform, name: str) -> BindRequest:
        if len(name) > SHOP_NAME_MAX * 2:
            raise BadInput("shop_name_too_long", limit=SHOP_NAME_MAX)
        cleaned = clean_text(name)
        if not cleaned:
            raise BadInput("shop_name_missing")
        if len(cleaned) > SHOP_NAME_MAX:
            raise BadInput("shop_name_too_long", limit=SHOP_NAME_MAX)
        if any(unicodedata.category(ch) in ("So", "Co") for ch in cleaned):
            raise BadInput("shop_name_bad_chars")
        return cls(platform, cleaned)


@dataclass(frozen=True)
class CheckRequest:
    # None: no platform named and none known for the asker (no shop, no group platform):
    # every platform is looked at.
    platform: Platform | None
    buyer_id: str  # "": a phone or an address alone (exports without buyer accounts)
    phone: str | None = None
    address: str | None = None
    flags: tuple[str, ...] = ()  # red flag codes (bot/data/red_flags.toml)
    detail: bool = False  # `/查 … 详细`: every reason and every next step
    alert_id: int | None = None  # `/查 预警3`: the buyer of that alert (masked in groups)

    @classmethod
    def make(
        cls,
        platform: Platform | None,
        buyer_id: str | None,
        phone: str | None = None,
        address: str | None = None,
        clues: list[str] | tuple[str, ...] = (),
        detail: bool = False,
    ) -> CheckRequest:
        """clues: red-flag words as typed (远程地址, 只买赠品…). Without a buyer id, a
        phone or an address is the buyer (an order of a 拼多多 or 抖店 export)."""
        if len(clues) > CLUES_MAX:
            raise BadInput("clue_unknown", word=excerpt(str(clues[CLUES_MAX])), flags=typed_flags())
        flags: list[str] = []
        for word in clues:
            red_flag = parse_flag(word[:40])
            if red_flag is None:
                raise BadInput("clue_unknown", word=excerpt(word), flags=typed_flags())
            if red_flag.code not in flags:
                flags.append(red_flag.code)
        phone, address = _clue(phone, PHONE_TEXT_MAX), _clue(address, ADDRESS_TEXT_MAX)
        if not (buyer_id and buyer_id.strip()) and phone is None and address is None:
            raise BadInput("buyer_id_missing", clues_allowed=True)
        return cls(
            platform,
            normalise_buyer_id(buyer_id) if buyer_id and buyer_id.strip() else "",
            phone,
            address,
            tuple(flags),
            detail,
        )

    @property
    def has_clues(self) -> bool:
        """A phone or an address to look up: one of the shop's lookups of the day."""
        return self.phone is not None or self.address is not None

    @classmethod
    def of_alert(cls, platform: Platform | None, alert_id: int, detail: bool = False) -> CheckRequest:
        """`/查 预警3`: the buyer is the alert's, found by the core."""
        return cls(platform, "", detail=detail, alert_id=alert_id)


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
    # A phone already hashed and masked where it was read (a screenshot's): never in clear.
    traits: tuple[Trait, ...] = ()

    @classmethod
    def make(
        cls,
        platform: Platform,
        buyer_id: str,
        category: str,
        order_no: str | None = None,
        amount: str | None = None,
        description: str = "",
        phone: str | None = None,
        address: str | None = None,
        traits: tuple[Trait, ...] = (),
    ) -> ReportRequest:
        """category: a Chinese label or code of DESIGN.md §1; amount: yuan as typed."""
        buyer_id = normalise_buyer_id(buyer_id)
        if not category:
            raise BadInput("category_missing", categories=list(Category))
        return cls(
            platform=platform,
            buyer_id=buyer_id,
            category=require_category(category[:30]),
            order_no=normalise_order(order_no) if order_no else None,
            amount_fen=parse_amount(amount) if amount else None,
            description=free_text(description, DESCRIPTION_MAX),
            phone=_clue(phone, PHONE_TEXT_MAX),
            address=_clue(address, ADDRESS_TEXT_MAX),
            traits=traits,
        )


@dataclass(frozen=True)
class AppealRequest:
    platform: Platform | None  # None: not named, and the appellant has no shop: every platform
    buyer_id: str
    reason: str

    @classmethod
    def make(cls, platform: Platform | None, buyer_id: str | None, reason: str | None) -> AppealRequest:
        if not buyer_id:
            raise BadInput("buyer_id_missing")
        return cls(
            platform,
            normalise_buyer_id(buyer_id),
            free_text(reason or "", APPEAL_REASON_MAX, missing="appeal_reason_missing"),
        )


@dataclass(frozen=True)
class AllowRequest:
    """A group allows a buyer (/设置 放行): never alerted to that group."""

    platform: Platform
    buyer_id: str
    reason: str

    @classmethod
    def make(cls, platform: Platform, buyer_id: str, reason: str) -> AllowRequest:
        return cls(
            platform,
            normalise_buyer_id(buyer_id),
            free_text(reason, ALLOWANCE_REASON_MAX, missing="allowance_reason_missing"),
        )


@dataclass(frozen=True)
class GuideRequest:
    """`/处理 [场景|#编号 [删除]] [平台] [买家ID] [订单号]`."""

    scenario: Scenario | None = None
    case_id: int | None = None
    drop: bool = False
    platform: Platform | None = None
    buyer_id: str | None = None
    order_no: str | None = None


# Webhook robots (/机器人, `python -m bot robot add`): an address is a URL of a few hundred
# characters at most; a 钉钉 secret is ~67 characters; a keyword a word or two. One owner
# registers at most ROBOTS_PER_OWNER robots (a 版主 and the command line are not counted).
ROBOT_ADDRESS_MAX = 500
ROBOT_SECRET_MAX = 128
ROBOT_KEYWORD_MAX = 20
ROBOTS_PER_OWNER = 10


def _credential(raw: str | None, limit: int, code: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > limit or not value.isascii() or any(ch.isspace() for ch in value):
        raise BadInput(code, limit=limit)
    return value


@dataclass(frozen=True)
class RobotRequest:
    """Register a webhook robot: its address, the service it is (or imitates), its
    signing secret or keyword, and the rules a group has: alert level and digest time."""

    address: str
    kind: str | None = None  # 企业微信 / 钉钉 / 飞书, or None: the address's host says
    secret: str | None = None
    keyword: str | None = None
    level: str | None = None  # 高风险 / 极高风险; None: 高风险
    digest: str | None = None  # HH:MM or 关; None: 09:00

    @classmethod
    def make(
        cls,
        address: str,
        kind: str | None = None,
        secret: str | None = None,
        keyword: str | None = None,
        level: str | None = None,
        digest: str | None = None,
    ) -> RobotRequest:
        url = _credential(address, ROBOT_ADDRESS_MAX, "robots.address_invalid")
        if url is None:
            raise BadInput("robots.address_missing")
        word = keyword.strip() if keyword else None
        if word is not None and (len(word) > ROBOT_KEYWORD_MAX or "\n" in word or "\r" in word):
            raise BadInput("robots.keyword_invalid", limit=ROBOT_KEYWORD_MAX)
        return cls(
            url,
            kind.strip()[:20] if kind and kind.strip() else None,
            _credential(secret, ROBOT_SECRET_MAX, "robots.secret_invalid"),
            word or None,
            level.strip()[:20] if level and level.strip() else None,
            digest.strip()[:20] if digest and digest.strip() else None,
        )
