"""The one door every message passes first. Merchant groups are mostly conversation, and
NoneBot would try every matcher on every line of it (about 25 ms of CPU per message
with this bot's matchers: one account in a few hundred busy groups falls behind). Here a
message that no plugin can want is dropped for the price of a prefix lookup: it is not a
command, carries no file a plugin takes, and no flow in its chat waits for a reply.

A plugin that takes messages other than its commands says which, with `wants_messages`
(a plain function of the event, no await: it runs for every line of every group); one
that waits for a member's next message and must stop waiting when they send a command
instead says so with `on_command_from`. One preprocessor for all of it, taking the event
alone: NoneBot solves each parameter of each preprocessor in a task of its own, on every
message, and that was most of what a line of chatter cost (794 → 1,027 lines/s with one
parameter instead of two).

Over OneBot the same judgement runs once more, earlier: the adapter (plugins/_chat/
onebot_v11.py) asks `is_for_the_bot` of the raw JSON before NoneBot builds, logs and
dispatches an event, with every text segment as a possible command start (a superset of
what the event will show). Conversation then costs a JSON parse and a prefix lookup, and
is never written to the log."""

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import nonebot.internal.params as nonebot_params
from nonebot import params as nonebot_public_params
from nonebot.adapters import Event
from nonebot.exception import FinishedException, IgnoredException
from nonebot.matcher import Matcher
from nonebot.message import event_preprocessor
from nonebot.plugin import PluginMetadata
from nonebot.rule import TrieRule

from plugins._chat import SUPPORTED_ADAPTERS, Line
from plugins._chat.onebot_v11 import Adapter as OneBotAdapter

__plugin_meta__ = PluginMetadata(
    name="消息入口",
    description="群里的闲聊不经过任何命令匹配就放过：只有命令、订单文件和进行中的流程回复会交给各插件",
    usage="无命令；其他插件通过 require 使用",
    type="library",
    supported_adapters=SUPPORTED_ADAPTERS,
)

Wanted = Callable[[Line], bool]
_wanted: list[Wanted] = []
_command_listeners: list[Callable[[str], None]] = []


def wants_messages(predicate: Wanted) -> Wanted:
    """Register what a plugin takes besides its commands: a file message, a reply inside
    a flow, the picture a /证据 waits for."""
    _wanted.append(predicate)
    return predicate


def on_command_from(listener: Callable[[str], None]) -> Callable[[str], None]:
    """Register a listener told the session id of every command message."""
    _command_listeners.append(listener)
    return listener


def _is_command(line: Line) -> bool:
    # NoneBot's own command trie (every on_command's words with COMMAND_START, aliases),
    # looked up as its dispatch does next (TrieRule.get_value): nothing it would route to
    # a command is dropped here.
    return any(TrieRule.prefix.longest_prefix(lead.lstrip()) for lead in line.leads)


def is_for_the_bot(line: Line) -> bool:
    """A command, or something a plugin said it wants."""
    return _is_command(line) or any(wanted(line) for wanted in _wanted)


OneBotAdapter.door = is_for_the_bot


# NoneBot reads a command's parts out of the event's state with plain functions (one
# dict lookup each), and runs every plain-function dependency in a worker thread: each
# command took three thread hops for them (the command rule's Command, CommandArg and
# CommandWhitespace, and CommandArg again in the handler, from cache), about a tenth of
# the bot's CPU per /查 at saturation (measured: 2.8 → 2.5 ms, 377–408 → 411–438
# replies/s). These readers run inline; any other plain function still gets a thread.
_STATE_READER_NAMES = ("_command", "_command_arg", "_command_whitespace", "_raw_command", "_command_start")
_STATE_READERS = {getattr(nonebot_public_params, name, None) for name in _STATE_READER_NAMES} - {None}
_run_in_thread = nonebot_params.run_sync


def _run_sync(call: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    if call in _STATE_READERS:

        async def inline(*args: Any, **kwargs: Any) -> Any:
            return call(*args, **kwargs)

        return inline
    return _run_in_thread(call)


if hasattr(nonebot_params, "run_sync"):
    nonebot_params.run_sync = _run_sync


# A handler ends by raising FinishedException (matcher.finish, and so every reply here).
# Matcher.run keeps it in a closure cell of its own frame, which the exception's
# traceback holds: a reference cycle per command, with the event, the matcher, the
# verdict and six frames in it. Only the cyclic collector frees those, so at 50 groups
# it ran a full collection every second or so, each stalling every group for 25 – 65 ms
# (measured: ~39,000 objects collected each time; 342 with this). run() does nothing
# with a FinishedException; ending it here, one frame lower, does the same without the
# cycle. Other session exceptions (reject, pause) and groups of them go up as before.
_simple_run = Matcher.simple_run


async def _simple_run_to_its_end(self: Matcher, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(FinishedException):
        await _simple_run(self, *args, **kwargs)


Matcher.simple_run = _simple_run_to_its_end  # type: ignore[method-assign]


# async: NoneBot runs a plain function in a worker thread, a thread hop per message.
@event_preprocessor
async def let_in(event: Event) -> None:
    if event.get_type() != "message":
        return
    try:
        line = Line.of(event)
    except ValueError:  # a message NoneBot's parser could only make a bare event of
        raise IgnoredException("no message to read") from None
    if _is_command(line):
        for listener in _command_listeners:
            listener(line.session_id)
        return
    if any(wanted(line) for wanted in _wanted):
        return
    raise IgnoredException("not for the bot")
