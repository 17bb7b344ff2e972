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
    """A platform's own words (templates/platforms.toml)."""

    platform: Platform
    chat: str  # the chat tool, as merchants call it
    chat_short: str
    back_office: str
    block_path: str  # "" where the path is known only for Taobao
    close_penalty: str
    block: str  # how to block a buyer, without inventing a path we do not know
    # Reading its screenshots: words of its chrome, and the labels before the buyer, the
    # order number and the amount paid.
    screenshot_marks: tuple[str, ...] = ()
    buyer_labels: tuple[str, ...] = ()
    order_labels: tuple[str, ...] = ()
    paid_labels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.platform.label


@lru_cache(maxsize=1)
def _platform_words() -> dict[Platform, PlatformWords]:
    with (TEMPLATES / "platforms.toml").open("rb") as file:
        data = tomllib.load(file)
    words: dict[Platform, PlatformWords] = {}
    for p in Platform:
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data[p.value].items()}
        words[p] = PlatformWords(platform=p, **fields)
    return words


def platform_words(platform: Platform | str | None) -> PlatformWords:
    """The words of a platform (Taobao's when none is known)."""
    return _platform_words()[Platform(platform) if platform else Platform.taobao]


def parse_platform(word: str) -> Platform | None:
    return _PLATFORM_WORDS.get(fold(word))
