"""QQ through a OneBot v11 client (NapCat, Lagrange.OneBot, go-cqhttp)."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import nonebot
from nonebot.adapters import Bot as BaseBot
from nonebot.adapters import Event
from nonebot.adapters.onebot.v11 import (
    ActionFailed,
    Bot,
    GroupMessageEvent,
    GroupRequestEvent,
    GroupUploadNoticeEvent,
    Message,
    MessageSegment,
    NetworkError,
    PrivateMessageEvent,
)
from nonebot.adapters.onebot.v11 import Adapter as OneBotV11Adapter
from nonebot.adapters.onebot.v11 import Event as OneBotEvent

from bot.messaging.outbox import DeliveryFailed, GroupUnreachable
from bot.states import Channel, Delivery
from bot.trust.moderation import Membership
from shop_guard_chat import IncomingFile, Line

_LEFT_WORDS = ("不存在", "not found", "不在群", "removed", "kicked", "已被移出", "group not exist")
_MUTED_WORDS = ("禁言", "muted", "mute")
SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv")


_CQ_CODE = re.compile(r"\[CQ:[^\]]*\]")
_CQ_KIND = re.compile(r"\[CQ:([^,\]]+)")


def line_of(data: dict[str, Any], nicknames: tuple[str, ...] = ()) -> Line | None:
    """The entry's view of a raw OneBot v11 message event; None where its shape is not
    the plain one read here (NoneBot's parser then judges it). Every text segment may
    start a command (the adapter takes a leading reply, @bot or nickname off only
    later), so what the event would let in, this lets in too."""
    user, group = data.get("user_id"), data.get("group_id")
    if type(user) is not int:
        return None
    if data.get("message_type") == "group" and type(group) is int:
        session = f"group_{group}_{user}"
    elif data.get("message_type") == "private":
        session = str(user)
    else:
        return None
    message = data.get("message")
    texts: list[str] = []
    if isinstance(message, str):  # the CQ-code form (message_format "string")
        kinds = set(_CQ_KIND.findall(message))
        texts = [text for text in _CQ_CODE.split(message) if text]
    elif isinstance(message, list):
        kinds = set()
        for segment in message:
            kind = segment.get("type") if isinstance(segment, dict) else None
            if not isinstance(kind, str):
                return None
            kinds.add(kind)
            if kind == "text":
                text = segment.get("data", {}).get("text") if isinstance(segment.get("data"), dict) else None
                if not isinstance(text, str):
                    return None
                texts.append(text)
    else:
        return None
    if texts:
        kinds.add("text")
    leads = list(texts)
    for name in nicknames:
        for text in texts:
            if text.lower().startswith(name.lower()):
                leads.append(text[len(name) :].lstrip(" \t\r\n,，"))
    return Line(session, frozenset(kinds), tuple(leads))


class Adapter(OneBotV11Adapter):
    """The OneBot v11 adapter with the message entry's door in front of its event
    parser. Merchant groups are mostly conversation; NoneBot would validate each line
    into a pydantic event, log it and run the preprocessors before the entry could drop
    it (~0.9 ms a line here). `door` is set by the entry plugin when it loads; until
    then, and for anything `line_of` does not read, every event goes through as usual."""

    door: ClassVar[Callable[[Line], bool] | None] = None

    @classmethod
    def json_to_event(cls, json_data: Any) -> OneBotEvent | None:
        door = cls.door
        if door is not None and isinstance(json_data, dict) and json_data.get("post_type") == "message":
            # An exception here would end the adapter's receive loop and drop the
            # connection; whatever the door cannot judge goes on to NoneBot instead.
            try:
                line = line_of(json_data, cls._nicknames())
                dropped = line is not None and not door(line)
            except Exception as exc:
                nonebot.logger.warning(f"message entry could not judge an event, passed on: {exc!r}")
                dropped = False
            if dropped:
                return None
        return super().json_to_event(json_data)

    @staticmethod
    def _nicknames() -> tuple[str, ...]:
        return tuple(nonebot.get_driver().config.nickname)


def _is_spreadsheet(name: str) -> bool:
    return Path(name).suffix.lower() in SPREADSHEET_SUFFIXES


class OneBotV11:
    network = "qq"

    def group_of(self, event: Event) -> int | None:
        group_id = getattr(event, "group_id", None)
        return group_id if isinstance(group_id, int) else None

    def reply_target(self, event: Event) -> tuple[Channel, int] | None:
        group_id = self.group_of(event)
        if group_id is not None:
            return Channel.group, group_id
        user_id = event.get_user_id()
        return (Channel.private, int(user_id)) if user_id.isdigit() else None

    def is_group_admin(self, event: Event) -> bool:
        return isinstance(event, GroupMessageEvent) and event.sender.role in ("owner", "admin")

    def mentioned(self, event: Event) -> list[str]:
        return [
            str(segment.data["qq"])
            for segment in event.get_message()
            if segment.type == "at" and str(segment.data.get("qq")) not in ("all", str(getattr(event, "self_id", "")))
        ]

    async def membership(self, bot: BaseBot, group_id: int, user_id: str) -> Membership | None:
        """get_group_member_info, asked past the client's cache: OneBot v11 gives a member's
        join time (seconds); a client that says nothing of it leaves joined_at unknown."""
        if not user_id.isdigit():
            return Membership(member=False)
        try:
            info = await bot.call_api("get_group_member_info", group_id=group_id, user_id=int(user_id), no_cache=True)
        except ActionFailed:
            return Membership(member=False)  # OneBot clients fail the call for a non-member
        except NetworkError:
            return None
        joined = info.get("join_time") if isinstance(info, dict) else None
        if not isinstance(joined, int | float) or joined <= 0:
            return Membership(member=True)
        return Membership(member=True, joined_at=datetime.fromtimestamp(joined, UTC))

    async def groups(self, bot: BaseBot) -> set[int] | None:
        """get_group_list: the groups the account is in now; None when the client cannot
        tell (an error, or a client without the call)."""
        try:
            listed = await bot.call_api("get_group_list", no_cache=True)
        except (ActionFailed, NetworkError):
            return None
        if not isinstance(listed, list):
            return None
        return {int(g["group_id"]) for g in listed if isinstance(g, dict) and str(g.get("group_id", "")).isdigit()}

    def picture_urls(self, message: Any) -> list[str]:
        urls = []
        for segment in message:
            if segment.type == "image":
                urls.append(str(segment.data.get("url") or segment.data.get("file") or ""))
        return urls

    def quoted_picture_urls(self, event: Event) -> list[str]:
        # The adapter fetched the quoted message (get_msg) and took its reply segment off.
        reply = getattr(event, "reply", None)
        return self.picture_urls(reply.message) if reply is not None else []

    def invitation(self, event: Event) -> str | None:
        """The account that invites the bot into a group, for an invitation event."""
        if isinstance(event, GroupRequestEvent) and event.sub_type == "invite":
            return f"{self.network}:{event.user_id}"
        return None

    async def answer_invitation(self, bot: BaseBot, event: Event, approve: bool, reason: str) -> None:
        assert isinstance(event, GroupRequestEvent)
        await bot.call_api(
            "set_group_add_request", flag=event.flag, sub_type=event.sub_type, approve=approve, reason=reason
        )

    def incoming_file(self, event: Event) -> IncomingFile | None:
        if isinstance(event, GroupUploadNoticeEvent) and _is_spreadsheet(event.file.name):
            return IncomingFile(event.file.name, event.file.size, event)
        if isinstance(event, PrivateMessageEvent):
            for segment in event.message:
                name = str(segment.data.get("name") or segment.data.get("file") or "")
                if segment.type == "file" and _is_spreadsheet(name):
                    size = str(segment.data.get("file_size") or segment.data.get("size") or "")
                    return IncomingFile(name, int(size) if size.isdigit() else None, event)
        return None

    async def file_url(self, bot: BaseBot, file: IncomingFile) -> str:
        event = file.event
        if isinstance(event, GroupUploadNoticeEvent):
            url = getattr(event.file, "url", None)  # some clients add it to the event
            if url:
                return str(url)
            # go-cqhttp / NapCat / Lagrange extension: group file events carry no URL.
            found = await bot.call_api(
                "get_group_file_url", group_id=event.group_id, file_id=event.file.id, busid=event.file.busid
            )
            return str(found["url"])
        assert isinstance(event, PrivateMessageEvent)
        segment = next(s for s in event.message if s.type == "file")
        if segment.data.get("url"):
            return str(segment.data["url"])
        found = await bot.call_api("get_file", file_id=segment.data.get("file_id") or segment.data.get("file"))
        return str(found["url"])

    def text(self, text: str, image: Path | None = None) -> Message:
        message = Message(MessageSegment.text(text))
        if image is not None and image.exists():
            # As data, not a file:// path: the client (often in another container) may
            # not see this machine's files.
            message += MessageSegment.image(f"base64://{base64.b64encode(image.read_bytes()).decode()}")
        return message

    async def send_file(self, bot: BaseBot, event: Event, path: Path) -> bool:
        data = f"base64://{base64.b64encode(await asyncio.to_thread(path.read_bytes)).decode()}"
        try:
            if isinstance(event, GroupMessageEvent):
                await bot.call_api("upload_group_file", group_id=event.group_id, file=data, name=path.name)
            else:
                await bot.call_api("upload_private_file", user_id=int(event.get_user_id()), file=data, name=path.name)
        except Exception as exc:  # a client without file upload, or one that refuses
            nonebot.logger.info(f"file not uploaded ({path.name}): {exc!r}")
            return False
        return True


NETWORK = OneBotV11()


class OneBotTransport:
    """The outbox sender's way out: the OneBot v11 account that is in the group (any
    connected one for a private message); send errors classified into temporary
    (retried) and permanent for the group (left or muted)."""

    def __init__(self) -> None:
        # Each connected account's groups (self_id → group numbers), as the outbox
        # plugin last read them; an account not here has not been read yet.
        self.groups: dict[str, set[int]] = {}

    def accounts(self) -> list[str]:
        return [self_id for self_id in self.groups if isinstance(nonebot.get_bots().get(self_id), Bot)]

    def _bot_for(self, channel: Channel, target_id: int) -> Bot:
        connected = {self_id: b for self_id, b in nonebot.get_bots().items() if isinstance(b, Bot)}
        if not connected:
            raise DeliveryFailed("no OneBot connection")
        if channel == Channel.group:
            for self_id, groups in self.groups.items():
                if target_id in groups and self_id in connected:
                    return connected[self_id]
        return next(iter(connected.values()))

    async def send(
        self, target_id: int, text: str, image: str | None, channel: Channel = Channel.group, mention: int | None = None
    ) -> None:
        bot = self._bot_for(channel, target_id)
        message = NETWORK.text(text, Path(image) if image else None)
        if mention is not None and channel == Channel.group:
            message = MessageSegment.at(mention) + MessageSegment.text(" ") + message
        try:
            if channel == Channel.private:
                await bot.send_private_msg(user_id=target_id, message=message)
            else:
                await bot.send_group_msg(group_id=target_id, message=message)
        except ActionFailed as exc:
            detail = f"{exc.info.get('retcode')} {exc.info.get('msg', '')} {exc.info.get('wording', '')}".lower()
            if any(word in detail for word in _LEFT_WORDS):
                raise GroupUnreachable(Delivery.left, detail) from exc
            if any(word in detail for word in _MUTED_WORDS):
                raise GroupUnreachable(Delivery.muted, detail) from exc
            raise DeliveryFailed(detail) from exc
        except NetworkError as exc:
            raise DeliveryFailed(str(exc)) from exc
