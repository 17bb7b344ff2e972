"""Ready reply scripts (/话术) from templates/scripts/catalogue.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot.identity import fold
from bot.render import TEMPLATES


@dataclass(frozen=True)
class ScriptScenario:
    number: int
    name: str
    aliases: tuple[str, ...]
    summary: str
    scripts: tuple[str, ...]


@lru_cache(maxsize=1)
def script_scenarios() -> tuple[ScriptScenario, ...]:
    with (TEMPLATES / "scripts" / "catalogue.toml").open("rb") as file:
        data = tomllib.load(file)["scenario"]
    return tuple(
        ScriptScenario(s["number"], s["name"], tuple(s.get("aliases", ())), s["summary"], tuple(s["scripts"]))
        for s in data
    )


def find_scripts(word: str) -> ScriptScenario | None:
    word = fold(word)
    for s in script_scenarios():
        if word in (str(s.number), fold(s.name), *(fold(a) for a in s.aliases)):
            return s
    return None
