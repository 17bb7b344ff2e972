"""The terminal chat (nonebot-adapter-console): one user, no groups, no files."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import nonebot
from nonebot.adapters import Bot, Event
from nonebot.adapters.console import Adapter as ConsoleAdapter
from nonebot.adapters.console import Message, MessageSegment

from bot.messaging.render import render
from bot.states import Channel
from bot.trust.moderation import Membership
from shop_guard_chat import IncomingFile
from shop_guard_chat import nonebot_patches as patches


class Adapter(ConsoleAdapter):
    """The console adapter whose window ends the bot when it is closed (ctrl+q): the
    stock one only closed the window, said "Press Ctrl-C for Application exit" and left
    the bot running with nothing to talk to. Its chat also shows each reply of the bot
    as it arrives (patch 6 in nonebot_patches.py)."""

    _closing = False

    async def _start(self) -> None:
        patches.apply_console()
        await super()._start()
        if self._task is not None:
            self._task.add_done_callback(self._window_closed)

    async def _shutdown(self) -> None:
        self._closing = True  # NoneBot is stopping already: the window closes with it
        await super()._shutdown()

    def _window_closed(self, _task: asyncio.Task[Any]) -> None:
        if self._closing:
            return
        nonebot.logger.info(render("chat/console_closed.j2"))
        stop = getattr(self.driver, "exit", None)
        if callable(stop):
            stop()
        else:  # a driver without exit(): what ctrl+c in the terminal would do
            signal.raise_signal(signal.SIGINT)


class Console:
    network = "console"

    def group_of(self, event: Event) -> int | None:
        return None

    def reply_target(self, event: Event) -> tuple[Channel, int] | None:
        return None  # the outbox speaks QQ numbers; the terminal has none

    def is_group_admin(self, event: Event) -> bool:
        return False

    def mentioned(self, event: Event) -> list[str]:
        return []

    async def membership(self, bot: Bot, group_id: int, user_id: str) -> Membership | None:
        return None  # the terminal chat has no groups

    def picture_urls(self, message: Any) -> list[str]:
        return []

    def quoted_picture_urls(self, event: Event) -> list[str]:
        return []

    def invitation(self, event: Event) -> str | None:
        return None

    async def answer_invitation(self, bot: Bot, event: Event, approve: bool, reason: str) -> None:
        raise LookupError("the terminal chat has no group invitations")

    def incoming_file(self, event: Event) -> IncomingFile | None:
        return None

    async def file_url(self, bot: Bot, file: IncomingFile) -> str:
        raise LookupError("the terminal chat carries no files")

    def text(self, text: str, image: Path | None = None) -> Message:
        message = Message(MessageSegment.text(text))
        if image is not None:
            message += MessageSegment.text("\n" + render("chat/console_picture.j2", path=image))
        return message

    async def send_file(self, bot: Bot, event: Event, path: Path) -> bool:
        return False  # the reply names the file's path instead


NETWORK = Console()
