"""Building OneBot v11 events, checking replies in nonebug tests, and serving the files
that events link to (OneBot clients give uploads and pictures as URLs)."""

from __future__ import annotations

import time
from itertools import count

import nonebot
from nonebot.adapters.onebot.v11 import (
    Adapter,
    Bot,
    GroupMessageEvent,
    GroupUploadNoticeEvent,
    Message,
    PrivateMessageEvent,
)
from nonebot.adapters.onebot.v11.event import Sender
from nonebug import App

from bot.storage.shops import shop_of_account

_message_ids = count(1)


def group_message(text: str, user_id: int = 10001, group_id: int = 20001, role: str = "member") -> GroupMessageEvent:
    return GroupMessageEvent(
        time=int(time.time()),
        self_id=999,
        post_type="message",
        sub_type="normal",
        user_id=user_id,
        message_type="group",
        message_id=next(_message_ids),
        message=Message(text),
        original_message=Message(text),
        raw_message=text,
        font=0,
        sender=Sender(user_id=user_id, nickname=f"u{user_id}", role=role),
        to_me=False,
        group_id=group_id,
    )


def private_message(text: str, user_id: int = 10001) -> PrivateMessageEvent:
    return PrivateMessageEvent(
        time=int(time.time()),
        self_id=999,
        post_type="message",
        sub_type="friend",
        user_id=user_id,
        message_type="private",
        message_id=next(_message_ids),
        message=Message(text),
        original_message=Message(text),
        raw_message=text,
        font=0,
        sender=Sender(user_id=user_id, nickname=f"u{user_id}"),
        to_me=True,
    )


def group_upload(
    name: str, size: int, url: str | None, user_id: int = 1, group_id: int = 20001, file_id: str = "f1"
) -> GroupUploadNoticeEvent:
    """A file uploaded into a group (a notice, not a message); url None as from clients
    whose upload events carry none (the bot then asks for it)."""
    file: dict[str, object] = {"id": file_id, "name": name, "size": size, "busid": 102}
    if url is not None:
        file["url"] = url
    return GroupUploadNoticeEvent.model_validate(
        dict(time=1, self_id=999, post_type="notice", notice_type="group_upload", user_id=user_id,
             group_id=group_id, file=file)
    )  # fmt: skip


class Reply:
    """Expected reply for ctx.should_call_send: every part must appear in the text and no
    forbidden part may. nonebug compares with `expected != sent`, so __ne__ decides."""

    def __init__(self, *parts: str, forbid: tuple[str, ...] = ()):
        self.parts = parts
        self.forbid = forbid
        self.seen: str | None = None

    def __ne__(self, sent: object) -> bool:
        self.seen = str(sent)
        return not (all(p in self.seen for p in self.parts) and not any(f in self.seen for f in self.forbid))

    def __eq__(self, sent: object) -> bool:
        return not self.__ne__(sent)

    def __repr__(self) -> str:
        return f"Reply(parts={self.parts!r}, forbid={self.forbid!r}, seen={self.seen!r})"


async def serve_file(data: bytes, port: int, path: str):
    """Serve `data` at http://127.0.0.1:<port><path> until the returned runner is cleaned up."""
    from aiohttp import web

    async def handler(_request):
        return web.Response(body=data)

    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


class Base64File(Reply):
    """Expected `file` of an upload: sent as base64:// data (the client may not see the
    bot's disk), whose decoded text must hold every part."""

    def __ne__(self, sent: object) -> bool:
        text = str(sent)
        if not text.startswith("base64://"):
            self.seen = text
            return True
        import base64

        return super().__ne__(base64.b64decode(text.removeprefix("base64://")).decode("utf-8"))


async def verify_user(*user_ids: int) -> None:
    """Verify the shops of these QQ users, as a 版主 would (tests/test_trust.py tests the
    verification itself)."""
    from tests.conftest import verify

    for user_id in user_ids:
        shop = await shop_of_account(f"qq:{user_id}")
        assert shop is not None, user_id
        await verify(shop)


async def converse(
    app: App, *turns: tuple[str, Reply | str], user_id: int = 10001, private: bool = False, role: str = "member"
) -> None:
    """Send each message from `user_id` (in the group, or privately) and expect its one reply."""
    for text, expected in turns:
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = (
                private_message(text, user_id=user_id) if private else group_message(text, user_id=user_id, role=role)
            )
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, expected, result={"message_id": 1})
            ctx.should_finished()
