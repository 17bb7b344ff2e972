"""The command catalogue (templates/commands.toml): names, aliases and help texts in one
place, so /帮助 and the matchers can never disagree."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot import TEMPLATES
from bot.identity.text import fold

# The matchers that are not commands (a file sent, a reply inside a flow, a group upload,
# an invitation) are tried after every command (commands.toml's priorities are 1 to 26).
AFTER_COMMANDS = 100


@dataclass(frozen=True)
class CommandSpec:
    name: str
    # The order NoneBot tries the command matchers (1 first): see commands.toml.
    priority: int
    alias: str
    usage: str
    summary: str
    detail: str
    example: str


@lru_cache(maxsize=1)
def commands() -> tuple[CommandSpec, ...]:
    with (TEMPLATES / "commands.toml").open("rb") as file:
        data = tomllib.load(file)
    return tuple(CommandSpec(**entry) for entry in data["command"])


def command(name: str) -> CommandSpec:
    for spec in commands():
        if spec.name == name:
            return spec
    raise KeyError(name)


def find(word: str) -> CommandSpec | None:
    word = fold(word).lstrip("/")
    for spec in commands():
        if word in (spec.name, spec.alias):
            return spec
    return None
