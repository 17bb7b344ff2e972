"""What every capability plugin shares: who is speaking, and how a reply or a refusal
becomes a message. Not a plugin itself (the leading underscore keeps NoneBot's
load_plugins from loading it)."""

from __future__ import annotations

from typing import Any, NoReturn

from nonebot.adapters import Bot, Event
from nonebot.matcher import Matcher

from bot.catalogue import command
from bot.errors import Refused
from bot.render import render

# The chat account is the shop owner's identity; QQ numbers are the same account across
# every bot instance and group, so they are keyed by network, not by bot.
_NETWORKS = {"OneBot V11": "qq", "Console": "console"}


def group_of(event: Event) -> int | None:
    """The QQ group a message came from; None in a private chat or on the console."""
    group_id = getattr(event, "group_id", None)
    return group_id if isinstance(group_id, int) else None


def member_key(bot: Bot, event: Event) -> str:
    adapter = bot.adapter.get_name()
    network = _NETWORKS.get(adapter, adapter.lower().replace(" ", "_"))
    return f"{network}:{event.get_user_id()}"


async def answer(matcher: type[Matcher] | Matcher, template: str, **context: Any) -> NoReturn:
    await matcher.finish(render(template, **context))


async def refuse(matcher: type[Matcher] | Matcher, refusal: Refused, command_name: str) -> NoReturn:
    """Explain a refusal, with the command's usage unless the refusal names its own."""
    context = {"usage": command(command_name).usage, **refusal.context}
    await matcher.finish(render(refusal.template, **context))
