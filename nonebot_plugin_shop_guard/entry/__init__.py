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

Over OneBot the same judgement runs once more, earlier: the adapter (shop_guard_chat/
onebot_v11.py) asks `passes_the_door` of the raw JSON before NoneBot builds, logs and
dispatches an event, with every text segment as a possible command start (a superset of
what the event will show). Conversation then costs a JSON parse and a prefix lookup, and
is never written to the log.

Beside other plugins (a host NoneBot project), nothing another plugin's matcher could
take is dropped: see `others_hear_conversation` below."""

from collections.abc import Callable

from nonebot.adapters import Event
from nonebot.exception import IgnoredException
from nonebot.matcher import Matcher, matchers
from nonebot.message import event_preprocessor
from nonebot.plugin import PluginMetadata
from nonebot.rule import CommandRule, ShellCommandRule, TrieRule

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
# The umbrella plugin: every matcher made in it or its sub-plugins is ours.
OURS = __name__.rpartition(".")[0]


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
    # a command is dropped here, ours or another plugin's.
    return any(TrieRule.prefix.longest_prefix(lead.lstrip()) for lead in line.leads)


def is_for_the_bot(line: Line) -> bool:
    """A command, or something a plugin said it wants."""
    return _is_command(line) or any(wanted(line) for wanted in _wanted)


# -- other plugins in the same NoneBot --------------------------------------------------------
#
# A host NoneBot project may load other plugins beside ours (an echo, a game, a weather
# plugin). Their commands are in NoneBot's command trie, so the door lets them through
# already; a matcher that takes plain messages (on_message, on_keyword, on_regex, a
# got/pause waiting for the member's answer) cannot be judged without running it. While
# one such matcher exists, nothing is dropped: conversation goes to NoneBot as usual and
# only our own matchers are skipped for it (patch 5 in shop_guard_chat/nonebot_patches.py),
# so their database lookups still cost nothing per line of chatter.


def is_ours(matcher: type[Matcher]) -> bool:
    module = matcher.module_name or ""
    return module == OURS or module.startswith(OURS + ".")


def _hears_conversation(matcher: type[Matcher]) -> bool:
    if matcher.type not in ("", "message") or is_ours(matcher):
        return False
    # A command matcher takes only its command, which the trie lets through.
    return not any(isinstance(checker.call, CommandRule | ShellCommandRule) for checker in matcher.rule.checkers)


# Each matcher class judged once (a plain dict: this runs for every line of chatter);
# temporary matchers come and go, so it is emptied now and then.
_hearing: dict[type[Matcher], bool] = {}
_HEARING_MAX = 2048


def others_hear_conversation() -> bool:
    """Some other plugin's matcher may take a message that is not a command. Matchers
    come and go (a got() makes a temporary one), so this is asked for every message."""
    hearing = _hearing
    for found in matchers.values():
        for matcher in found:
            hears = hearing.get(matcher)
            if hears is None:
                if len(hearing) >= _HEARING_MAX:
                    hearing.clear()
                hears = hearing[matcher] = _hears_conversation(matcher)
            if hears:
                return True
    return False


def passes_the_door(line: Line) -> bool:
    """What the OneBot adapter lets become a NoneBot event."""
    return is_for_the_bot(line) or others_hear_conversation()


OneBotAdapter.door = passes_the_door

# Conversation let in for other plugins only, by identity; a bounded memory: an event is
# judged and dispatched within moments, and a forgotten one is only tried by our
# matchers, which say no to it themselves.
_conversation: dict[int, Event] = {}
_REMEMBERED = 1024


def _let_in_for_others(event: Event) -> None:
    if len(_conversation) >= _REMEMBERED:
        del _conversation[next(iter(_conversation))]
    _conversation[id(event)] = event


def skips(matcher: type[Matcher], event: Event) -> bool:
    """One of our matchers need not be tried on this event: conversation let in for the
    other plugins only."""
    return _conversation.get(id(event)) is event and is_ours(matcher)


# NoneBot's internals this bot changes, all in shop_guard_chat/nonebot_patches.py (with
# why and undo).
patches.apply(skip=skips)


# async: NoneBot runs a plain function in a worker thread, a thread hop per message.
@event_preprocessor
async def let_in(event: Event) -> None:
    if event.get_type() != "message":
        return
    try:
        line = Line.of(event)
    except ValueError:  # a message NoneBot's parser could only make a bare event of
        if others_hear_conversation():
            _let_in_for_others(event)
            return
        raise IgnoredException("no message to read") from None
    if _is_command(line):
        for listener in _command_listeners:
            listener(line.session_id)
        return
    if any(wanted(line) for wanted in _wanted):
        return
    if others_hear_conversation():
        _let_in_for_others(event)
        return
    raise IgnoredException("not for the bot")
