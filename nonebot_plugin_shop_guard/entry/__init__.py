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

from collections.abc import Callable

from nonebot.adapters import Event
from nonebot.exception import IgnoredException
from nonebot.message import event_preprocessor
from nonebot.plugin import PluginMetadata
from nonebot.rule import TrieRule

from shop_guard_chat import SUPPORTED_ADAPTERS, Line
from shop_guard_chat import nonebot_patches as patches
from shop_guard_chat.onebot_v11 import Adapter as OneBotAdapter

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


# NoneBot's internals this bot changes, all in plugins/_patches.py (with why and undo).
patches.apply()


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
