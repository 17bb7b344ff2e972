"""The platforms the bot serves, their names as merchants type them, and each one's own
words (templates/platforms.toml): its chat tool, its back office, the paths we know."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot import TEMPLATES
from bot.identity.text import fold


class Platform(StrEnum):
    taobao = "taobao"
    tmall = "tmall"
    pdd = "pdd"
    jd = "jd"
    douyin = "douyin"

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self]


PLATFORM_LABELS = {
    Platform.taobao: "淘宝",
    Platform.tmall: "天猫",
    Platform.pdd: "拼多多",
    Platform.jd: "京东",
    Platform.douyin: "抖音",
}


_PLATFORM_WORDS = {
    **{label: p for p, label in PLATFORM_LABELS.items()},
    **{p.value: p for p in Platform},
    "tb": Platform.taobao,
    "淘宝网": Platform.taobao,
    "pinduoduo": Platform.pdd,
    "多多": Platform.pdd,
    "jingdong": Platform.jd,
    "京东商城": Platform.jd,
    "抖店": Platform.douyin,
    "tiktok": Platform.douyin,
}


@dataclass(frozen=True)
class PlatformWords:
    """A platform's own words (templates/platforms.toml); `platform` None: the words said
    when the platform is not known (a check on every platform)."""

    platform: Platform | None
    chat: str  # the chat tool, as merchants call it
    chat_short: str
    back_office: str
    block_path: str  # "" where no path was verified (every platform but Taobao)
    close_penalty: str
    block: str  # how to block a buyer, without inventing a path we do not know
    stock: str  # stock locked by unpaid orders: the setting to change
    stock_why: str
    limit: str  # a purchase limit per buyer
    auto_close: str  # waiting for an unpaid order to close by itself
    review_complaint: str  # the malicious-review channel, by what is known of its name
    review_outcome: str  # what becomes of a review found malicious
    refund_only: str  # the platform refunded without the goods back (仅退款)
    gift: str  # where gifts belong
    example_buyer: str  # /帮助's examples
    example_order: str
    # Reading its screenshots: words of its chrome, and the labels before the buyer, the
    # order number and the amount paid.
    screenshot_marks: tuple[str, ...] = ()
    buyer_labels: tuple[str, ...] = ()
    order_labels: tuple[str, ...] = ()
    paid_labels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The platform's name; "" when it is not known."""
        return self.platform.label if self.platform else ""


# The words of an unknown platform, and of every key a platform does not set itself.
ANY = "any"


@lru_cache(maxsize=1)
def _platform_words() -> dict[Platform | None, PlatformWords]:
    with (TEMPLATES / "platforms.toml").open("rb") as file:
        data = tomllib.load(file)

    def fields(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}

    common = data[ANY]
    words: dict[Platform | None, PlatformWords] = {None: PlatformWords(platform=None, **fields(common))}
    for p in Platform:
        words[p] = PlatformWords(platform=p, **fields({**common, **data[p.value]}))
    return words


def platform_words(platform: Platform | str | None) -> PlatformWords:
    """The words of a platform; without one, the words for any platform (they name no
    platform's tool or menu)."""
    return _platform_words()[Platform(platform) if platform else None]


def parse_platform(word: str) -> Platform | None:
    return _PLATFORM_WORDS.get(fold(word))


# The platforms' names as they stand inside an ERP's 订单来源 or shop name ("天猫旗舰店",
# "拼多多-小王家", "抖音小店"), the more specific first.
_NAMED_IN = (
    ("天猫", Platform.tmall),
    ("淘宝", Platform.taobao),
    ("拼多多", Platform.pdd),
    ("京东", Platform.jd),
    ("抖音", Platform.douyin),
    ("抖店", Platform.douyin),
)


def platform_in(text: str) -> Platform | None:
    """The platform a longer text names (an ERP's 订单来源, a shop's name), or None."""
    if not text:
        return None
    found = parse_platform(text[:20])
    if found is not None:
        return found
    return next((platform for name, platform in _NAMED_IN if name in text), None)
