"""Order red flags (DESIGN.md §4), loaded from bot/data/red_flags.toml so that the
weights live in one documented file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot import DATA as BOT_DATA
from bot.identity.text import fold

DATA = BOT_DATA / "red_flags.toml"


# eq=False: the flags are loaded once and compared by identity, which screening does for
# every order (a field-by-field hash is Python code).
@dataclass(frozen=True, eq=False)
class RedFlag:
    code: str
    label: str
    words: tuple[str, ...]
    weight: float
    can_reach_high: bool = False


@lru_cache(maxsize=1)
def red_flags() -> dict[str, RedFlag]:
    with DATA.open("rb") as file:
        entries = tomllib.load(file)["flag"]
    flags = {}
    for entry in entries:
        flag = RedFlag(
            code=entry["code"],
            label=entry["label"],
            words=tuple(entry["words"]),
            weight=float(entry["weight"]),
            can_reach_high=bool(entry.get("can_reach_high", False)),
        )
        if not 0 < flag.weight < 1:
            raise ValueError(f"red flag {flag.code}: weight must be between 0 and 1")
        flags[flag.code] = flag
    return flags


@lru_cache(maxsize=1)
def _by_word() -> dict[str, RedFlag]:
    return {fold(word): flag for flag in red_flags().values() for word in flag.words}


def flag(code: str) -> RedFlag:
    return red_flags()[code]


def parse_flag(word: str) -> RedFlag | None:
    return _by_word().get(fold(word))


def typed_flags() -> list[RedFlag]:
    """The flags a merchant can type, in file order (for /帮助 查)."""
    return [f for f in red_flags().values() if f.words]
