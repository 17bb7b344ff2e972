"""The official QQ bot (QQ 开放平台) through nonebot-adapter-qq.

What differs from a OneBot client logged in to a personal account:

- In a group the bot hears only messages that @-mention it, and may answer one within 5
  minutes and at most 5 times, each reply with a msg_seq of its own (the platform
  refuses a repeated one with 40054005); in private chat within 60 minutes. A reply
  outside that window cannot be sent: a group's goes to the outbox instead, like any
  proactive message. `ReplyWindows` keeps the count and hands out the msg_seq.
- Active pushes to a group are rationed by the platform (a quota per group and month, at
  times none): the outbox pushes where a push is left and the platform takes it; what it
  cannot push waits for the next reply in that group and rides on it as 「有 N 条新预警：…」.
- Members and groups are openids, not numbers. A member's account is "qqbot:<openid>"; a
  group gets a number of its own (bot/identity/places.py), remembered here once the
  event preprocessor has seen the group.
- The platform may deliver an event twice: `Duplicates` lets the preprocessor drop the
  second (as the adapter's maintainer advises).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nonebot
from nonebot.adapters import Bot as BaseBot
from nonebot.adapters import Event
from nonebot.adapters.qq import (
    ActionFailed,
    Bot,
    C2CMessageCreateEvent,
    GroupMessageCreateEvent,
    GroupRobotEvent,
    Message,
    MessageSegment,
    NetworkError,
    QQMessageEvent,
)
from nonebot.adapters.qq import Adapter as QQAdapter
from nonebot.adapters.qq import Event as QQEvent

from bot.identity.places import qqbot_group_target
from bot.messaging.outbox import AwaitingReply, DeliveryFailed
from bot.states import Channel
from bot.trust.moderation import Membership
from shop_guard_chat import IncomingFile

SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv")


class Adapter(QQAdapter):
    """The stock adapter, except that with no bot configured (QQ_BOTS empty) it starts
    nothing: it can then be registered under any driver (the tests' ~none) and simply
    carries no events."""

    def setup(self) -> None:
        if self.qq_config.qq_bots:
            super().setup()


# -- groups by number ----------------------------------------------------------------------

# group openid → the group's number (bot/identity/places.py), filled by the preprocessor
# before any handler runs: a group's number never changes, so the map only grows (by
# the groups this process has heard from).
_group_numbers: dict[str, int] = {}


def remember_group(group_openid: str, number: int) -> None:
    _group_numbers[group_openid] = number


def group_number(group_openid: str) -> int | None:
    return _group_numbers.get(group_openid)


def group_openid_of(event: Event) -> str | None:
    if isinstance(event, GroupMessageCreateEvent | GroupRobotEvent):
        return event.group_openid
    return None


# -- the reply window ------------------------------------------------------------------------


@dataclass
class _Window:
    opened: float  # monotonic time the message arrived
    seconds: float  # how long a reply may refer to it
    target: int | None  # the group's place, for a group message
    seq: int = 0  # the last msg_seq handed out


class ReplyWindows:
    """Per message the bot may answer: until when, how many replies are left, the next
    msg_seq. Kept per process (the message came to this process)."""

    KEEP = 4096

    def __init__(self, group_seconds: float = 290, private_seconds: float = 3500, replies: int = 5):
        self.group_seconds = group_seconds
        self.private_seconds = private_seconds
        self.replies = replies
        self.monotonic = time.monotonic
        self._open: OrderedDict[str, _Window] = OrderedDict()

    def open(self, event: QQMessageEvent, target: int | None) -> None:
        seconds = self.group_seconds if isinstance(event, GroupMessageCreateEvent) else self.private_seconds
        self._open[event.id] = _Window(self.monotonic(), seconds, target)
        while len(self._open) > self.KEEP:
            self._open.popitem(last=False)

    def known(self, msg_id: str) -> bool:
        return msg_id in self._open

    def take(self, msg_id: str) -> int | None:
        """The msg_seq of one more reply to this message; None when its window is over
        (too late, or its replies used up)."""
        window = self._open.get(msg_id)
        if window is None:
            return None
        if window.seq >= self.replies or self.monotonic() - window.opened > window.seconds:
            return None
        window.seq += 1
        return window.seq

    def target(self, msg_id: str) -> int | None:
        window = self._open.get(msg_id)
        return window.target if window else None


class Duplicates:
    """Events seen lately, by their message id (or event id): the platform re-delivers
    some, and a command answered twice would file a report twice."""

    def __init__(self, keep: int = 4096):
        self.keep = keep
        self._seen: OrderedDict[str, None] = OrderedDict()

    @staticmethod
    def key(event: QQEvent) -> str | None:
        if isinstance(event, QQMessageEvent):
            return f"message:{event.id}"
        return f"event:{event.event_id}" if event.event_id else None

    def seen_before(self, event: QQEvent) -> bool:
        key = self.key(event)
        if key is None:
            return False
        if key in self._seen:
            return True
        self._seen[key] = None
        while len(self._seen) > self.keep:
            self._seen.popitem(last=False)
        return False


def _is_spreadsheet(name: str) -> bool:
    return Path(name).suffix.lower() in SPREADSHEET_SUFFIXES


class QQBot:
    network = "qqbot"

    def group_of(self, event: Event) -> int | None:
        openid = group_openid_of(event)
        number = group_number(openid) if openid else None
        return qqbot_group_target(number) if number else None

    def reply_target(self, event: Event) -> tuple[Channel, int] | None:
        group = self.group_of(event)
        # Members have no address the outbox could push to privately.
        return (Channel.group, group) if group is not None else None

    def is_group_admin(self, event: Event) -> bool:
        return isinstance(event, GroupMessageCreateEvent) and event.author.member_role in ("owner", "admin")

    def mentioned(self, event: Event) -> list[str]:
        mentions = getattr(event, "mentions", None) or []
        return [m.member_openid for m in mentions if getattr(m, "scope", "") == "single" and not m.is_you and not m.bot]

    async def membership(self, bot: BaseBot, group_id: int, user_id: str) -> Membership | None:
        # The official bot API names members by openid and tells neither membership nor
        # join time: nobody is vouched for in these groups except by a 版主 (DESIGN.md §7).
        return None

    def picture_urls(self, message: Any) -> list[str]:
        return [str(segment.data.get("url") or "") for segment in message if segment.type == "image"]

    def quoted_picture_urls(self, event: Event) -> list[str]:
        return []  # a quoted message's content is not in the official bot's events

    def invitation(self, event: Event) -> str | None:
        return None  # a group owner adds the bot on the platform; nothing to accept

    async def answer_invitation(self, bot: BaseBot, event: Event, approve: bool, reason: str) -> None:
        raise LookupError("the official QQ bot has no group invitations to answer")

    def incoming_file(self, event: Event) -> IncomingFile | None:
        if isinstance(event, QQMessageEvent):
            for attachment in event.attachments or []:
                name = attachment.filename or ""
                if name and _is_spreadsheet(name) and attachment.url:
                    return IncomingFile(name, attachment.size, event)
        return None

    async def file_url(self, bot: BaseBot, file: IncomingFile) -> str:
        assert isinstance(file.event, QQMessageEvent)
        for attachment in file.event.attachments or []:
            if attachment.filename == file.name and attachment.url:
                return str(attachment.url)
        raise LookupError("the file's attachment is gone")

    def text(self, text: str, image: Path | None = None) -> Message:
        message = Message(MessageSegment.text(text))
        if image is not None and image.exists():
            message += MessageSegment.file_image(image.read_bytes())
        return message

    async def send_file(self, bot: BaseBot, event: Event, path: Path) -> bool:
        return False  # the reply names the file instead


NETWORK = QQBot()


class QQBotPusher:
    """The outbox's way to a group of the official QQ bot: an active message (no msg_id),
    which the platform may refuse; it then waits for a reply to ride on."""

    async def push(self, bot_id: str, group_openid: str, text: str, image: str | None) -> None:
        bot = nonebot.get_bots().get(bot_id)
        if not isinstance(bot, Bot):
            raise DeliveryFailed("the QQ bot is not connected")
        message = await asyncio.to_thread(NETWORK.text, text, Path(image) if image else None)
        try:
            await bot.send_to_group(group_openid=group_openid, message=message)
        except NetworkError as exc:
            raise DeliveryFailed(str(exc)) from exc
        except ActionFailed as exc:
            # Not taken as an active message (no quota, not allowed for this bot or group):
            # it rides on the next reply instead.
            raise AwaitingReply(f"{exc.code} {exc.message}") from exc


def reply_scene(event: Event) -> str | None:
    if isinstance(event, GroupMessageCreateEvent):
        return "group"
    if isinstance(event, C2CMessageCreateEvent):
        return "private"
    return None
