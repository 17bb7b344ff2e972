"""Ready reply scripts (/话术) from templates/scripts/catalogue.toml, grouped by the
handling scenarios of /处理, so that a merchant who just walked `/处理 差评敲诈` finds
the scripts under the same name and number."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot import TEMPLATES
from bot.cases.flows import Scenario, find_scenario, scenarios
from bot.identity.text import fold


@dataclass(frozen=True)
class ScriptScenario:
    scenario: str  # the handling scenario's code
    name: str
    aliases: tuple[str, ...]
    summary: str
    scripts: tuple[str, ...]


@lru_cache(maxsize=1)
def script_scenarios() -> tuple[ScriptScenario, ...]:
    with (TEMPLATES / "scripts" / "catalogue.toml").open("rb") as file:
        data = tomllib.load(file)["scenario"]
    found = tuple(
        ScriptScenario(s["for"], s["name"], tuple(s.get("aliases", ())), s["summary"], tuple(s["scripts"]))
        for s in data
    )
    codes = {s.code for s in scenarios()}
    for script in found:
        if script.scenario not in codes:
            raise ValueError(f"script scenario {script.name}: unknown handling scenario {script.scenario!r}")
    return found


def by_scenario() -> list[tuple[Scenario, list[ScriptScenario]]]:
    """Each handling scenario, in /处理's order, with its scripts."""
    return [(s, [x for x in script_scenarios() if x.scenario == s.code]) for s in scenarios()]


def find_scripts(word: str) -> list[ScriptScenario]:
    """A handling scenario's number, name or alias gives all its scripts; a script
    scenario's own name or alias gives that one. Empty when nothing matches."""
    handling = find_scenario(word)
    if handling is not None:
        return [x for x in script_scenarios() if x.scenario == handling.code]
    folded = fold(word)
    return [x for x in script_scenarios() if folded in (fold(x.name), *(fold(a) for a in x.aliases))]
