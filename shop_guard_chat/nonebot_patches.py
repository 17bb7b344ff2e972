"""Every change this bot makes to NoneBot's own code, in one place.

Checked on nonebot2 2.4.x and 2.5.0, nonebot-adapter-onebot 2.4.x (pydantic 2). Each
patch replaces one attribute only while it is still NoneBot's own (a NoneBot that
changed it is left alone), and `undo()` puts every original back, in reverse order (the
tests call it to compare with and without). Applied by the entry plugin when it loads
(plugins/entry), so a host NoneBot project that loads our plugins gets them too; each
one keeps NoneBot's behaviour and only removes work:

1. `nonebot.internal.params.run_sync`: NoneBot runs every plain-function dependency in
   a worker thread. The readers of a command's parts (Command, CommandArg…) are one
   dict lookup each; they run inline instead: three thread hops fewer per command
   (measured: 2.8 → 2.5 ms of CPU per /查, 377–408 → 411–438 replies/s).
2. `Matcher.simple_run`: a handler ends with FinishedException, which `Matcher.run`
   keeps in a closure cell of its own frame: a reference cycle per command (event,
   matcher, verdict, six frames) that only the cyclic collector frees. Ending the
   exception one frame lower does what run() did with it (nothing) without the cycle
   (measured: ~39,000 objects per full collection before, 342 after). Reject, pause and
   exception groups go up as before.
3. `type_validate_python` in NoneBot's message module and the OneBot v11 adapter: it
   built a new pydantic TypeAdapter for every event and every message segment (~6% of
   the CPU per /查). Each is built once per type; what is validated, and how, is the same.
4. NoneBot's log handler: it takes every level and filters in Python, so each TRACE and
   DEBUG line of the dispatch was built, redacted and thrown away; and it writes two
   INFO lines per matcher run. The handler is replaced by one with the configured level
   and without those lines (unless LOG_LEVEL is DEBUG or lower). Not with the terminal
   chat, whose window takes NoneBot's handler over by its id.
5. `nonebot.message.check_and_run_matcher`: beside other plugins that take plain
   messages, the entry lets conversation through for them; our own matchers are not
   tried on it (they would say no, after a database lookup or two each). The entry says
   which matcher to skip for which event (`skip`); every other matcher runs as before.
6. nonechat's `ChatHistory.action_new_message` (the terminal chat's window, applied by
   shop_guard_chat/console.py when the window opens): it scrolled to a new message only
   when the user sent it, so the bot's reply stayed below the visible part until the
   next message. It scrolls to the bot's replies too.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import nonebot
import nonebot.adapters.onebot.v11.adapter as onebot_v11_parsing
import nonebot.internal.adapter.message as nonebot_messages
import nonebot.internal.params as nonebot_params
import nonebot.message as nonebot_dispatch
from nonebot import compat as nonebot_compat
from nonebot import log as nonebot_log
from nonebot import logger
from nonebot import params as nonebot_public_params
from nonebot.adapters import Event
from nonebot.exception import FinishedException
from nonebot.matcher import Matcher

if TYPE_CHECKING:
    from loguru import Record


@dataclass
class _Applied:
    owner: Any
    name: str
    original: Any


_applied: list[_Applied] = []


def _replace(owner: Any, name: str, expected: Any, replacement: Any) -> None:
    """Replace owner.name while it is still `expected` (NoneBot's own)."""
    if getattr(owner, name, None) is not expected:
        return
    _applied.append(_Applied(owner, name, expected))
    setattr(owner, name, replacement)


# -- 1. a command's parts read inline ------------------------------------------------------

_STATE_READER_NAMES = ("_command", "_command_arg", "_command_whitespace", "_raw_command", "_command_start")


def _inline_state_readers(run_in_thread: Callable[..., Any]) -> Callable[..., Any]:
    readers = {getattr(nonebot_public_params, name, None) for name in _STATE_READER_NAMES} - {None}

    def run_sync(call: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
        if call in readers:

            async def inline(*args: Any, **kwargs: Any) -> Any:
                return call(*args, **kwargs)

            return inline
        return run_in_thread(call)

    return run_sync


# -- 2. a handler's end without a reference cycle ---------------------------------------------


def _ending_one_frame_lower(simple_run: Callable[..., Any]) -> Callable[..., Any]:
    async def simple_run_to_its_end(self: Matcher, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(FinishedException):
            await simple_run(self, *args, **kwargs)

    return simple_run_to_its_end


# -- 3. one TypeAdapter per type ---------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _type_adapter(kind: Any) -> Any:
    from pydantic import TypeAdapter  # noqa: PLC0415 - pydantic 2 only, where this patch applies

    return TypeAdapter(kind)


def _validate_python(kind: Any, data: Any) -> Any:
    try:
        adapter = _type_adapter(kind)
    except TypeError:  # an unhashable type: as NoneBot does it
        return nonebot_compat.type_validate_python(kind, data)
    return adapter.validate_python(data)


# -- 4. the log handler ----------------------------------------------------------------------

_DISPATCH_START = "Event will be handled by "
_DISPATCH_ENDS = (" running complete", " is ignored")


def _not_dispatch_bookkeeping(record: Record) -> bool:
    # Each command arrives in the log once, with its chat and text (NoneBot's SUCCESS
    # line); the per-matcher lines and the one per dropped line of conversation took,
    # with it, about a sixth of the bot's CPU per /查 at saturation.
    message = record["message"]
    return not (
        record["name"] in ("nonebot.message", "nonebot.internal.matcher.matcher")
        and (message.startswith(_DISPATCH_START) or message.endswith(_DISPATCH_ENDS))
    )


_log_handler: list[int] = []


def _quieter_log_handler() -> None:
    if "Console" in nonebot.get_adapters() or _log_handler:
        return
    with contextlib.suppress(ValueError):  # already removed by someone else
        logger.remove(nonebot_log.logger_id)
    level = nonebot.get_driver().config.log_level
    level_no = level if isinstance(level, int) else logger.level(str(level).upper()).no
    nonebot_log.logger_id = logger.add(
        sys.stdout,
        level=level,
        diagnose=False,
        filter=None if level_no <= logger.level("DEBUG").no else _not_dispatch_bookkeeping,
        format=nonebot_log.default_format,
    )
    _log_handler.append(nonebot_log.logger_id)


def _restore_log_handler() -> None:
    while _log_handler:
        with contextlib.suppress(ValueError):
            logger.remove(_log_handler.pop())
        nonebot_log.logger_id = logger.add(
            sys.stdout, level=0, diagnose=False, filter=nonebot_log.default_filter, format=nonebot_log.default_format
        )


# -- 5. conversation for other plugins only ----------------------------------------------------

Skip = Callable[[type[Matcher], Event], bool]


def _skipping(check_and_run: Callable[..., Any], skip: Skip) -> Callable[..., Any]:
    async def check_and_run_matcher(matcher: type[Matcher], bot: Any, event: Event, *args: Any, **kwargs: Any) -> None:
        if skip(matcher, event):
            return
        await check_and_run(matcher, bot, event, *args, **kwargs)

    return check_and_run_matcher


# -- 6. the terminal chat shows the bot's reply ----------------------------------------------


def _scrolling_to_every_message(new_message: Callable[..., Any]) -> Callable[..., Any]:
    async def action_new_message(self: Any, message: Any) -> None:
        await new_message(self, message)
        self.scroll_end(animate=False)

    return action_new_message


def apply_console() -> None:
    """Patch 6, when the terminal chat opens (nonechat and Textual are not imported
    before: a QQ deployment never loads them)."""
    from nonechat.components.chatroom.history import ChatHistory  # noqa: PLC0415 - the terminal chat only

    original = ChatHistory.action_new_message
    if getattr(original, "__module__", "") == __name__:
        return
    _replace(ChatHistory, "action_new_message", original, _scrolling_to_every_message(original))


# -- applying and undoing ----------------------------------------------------------------------


_skip: list[Skip] = []


def apply(skip: Skip | None = None) -> None:
    """Apply every patch (idempotent); `skip` says which matcher need not be tried on
    which event (patch 5; kept for the next apply() after an undo())."""
    if skip is not None:
        _skip[:] = [skip]
    if _applied:
        return
    if _skip:
        original = nonebot_dispatch.check_and_run_matcher
        _replace(nonebot_dispatch, "check_and_run_matcher", original, _skipping(original, _skip[0]))
    _replace(nonebot_params, "run_sync", nonebot_params.run_sync, _inline_state_readers(nonebot_params.run_sync))
    _replace(Matcher, "simple_run", Matcher.simple_run, _ending_one_frame_lower(Matcher.simple_run))
    if nonebot_compat.PYDANTIC_V2:
        for module in (onebot_v11_parsing, nonebot_messages):
            _replace(module, "type_validate_python", nonebot_compat.type_validate_python, _validate_python)


def apply_log_handler() -> None:
    """Patch 4, once NoneBot's driver (and so the configured log level) exists."""
    _quieter_log_handler()


def undo() -> None:
    """Put every original back, newest first."""
    while _applied:
        applied = _applied.pop()
        setattr(applied.owner, applied.name, applied.original)
    _restore_log_handler()
