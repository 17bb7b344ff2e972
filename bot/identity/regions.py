"""Provinces: of a mobile number (a prefix table shipped in bot/data, never fetched) and
of an address, in the short form both share ("浙江", "广西", "内蒙古")."""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from bot import DATA

TABLE = DATA / "phone_provinces.tsv"

_ADDRESS_PROVINCE_RE = re.compile(
    r"^(内蒙古|黑龙江|北京|天津|上海|重庆|广西|西藏|宁夏|新疆|香港|澳门|台湾|[\u4e00-\u9fff]{2}(?=省))"
)


@lru_cache(maxsize=1)
def _table() -> tuple[list[int], list[str | None]]:
    starts: list[int] = []
    provinces: list[str | None] = []
    for line in TABLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        start, province = line.split("\t")
        starts.append(int(start))
        provinces.append(None if province == "-" else province)
    return starts, provinces


def phone_province(phone: str) -> str | None:
    """`phone` normalised (11 digits)."""
    starts, provinces = _table()
    index = bisect.bisect_right(starts, int(phone[:7])) - 1
    return provinces[index] if index >= 0 else None


def address_province(address: str) -> str | None:
    """`address` normalised (bot.identity.normalise_address)."""
    match = _ADDRESS_PROVINCE_RE.match(address)
    return match.group(1) if match else None
