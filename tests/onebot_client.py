"""The QQ client's side of a real OneBot v11 forward WebSocket (what NapCat / Lagrange
do), and the bot started as a separate process with `python -m bot`, exactly as the
README says, connected to it: for the end-to-end tests and the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import WSMsgType, web

from tests.conftest import ROOT

SELF_ID = 3_000_000_001
GROUP_ID = 700_001


def _text(message: object) -> str:
    if isinstance(message, str):
        return message
    assert isinstance(message, list)
    return "".join(seg["data"].get("text", "") for seg in message if seg["type"] == "text")


class QQClientSide:
    """The OneBot implementation's end of the forward WebSocket: sends events as group
    members and private users, and keeps every message the bot sends, to a group or to a
    user, in the order they came."""

    def __init__(self, self_id: int = SELF_ID, groups: list[int] | None = None) -> None:
        self.self_id = self_id
        # get_group_list: the account's groups; None: the client does not answer the call.
        self.groups = groups
        self.connected = asyncio.Event()
        self.ws: web.WebSocketResponse | None = None
        self.message_id = 0
        self.messages: list[tuple[str, int, str]] = []  # (channel, target, text)
        self.arrived = asyncio.Condition()
        self.read: dict[tuple[str, int], int] = {}  # how far each chat was read by wait()
        # get_group_member_info: (group, user) → join time; a pair not here is a member of
        # 30 days; None: not a member (the call fails, as real clients fail it).
        self.members: dict[tuple[int, int], float | None] = {}

    @property
    def alerts(self) -> list[str]:
        return [text for _, _, text in self.messages if "高风险买家预警" in text]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json(
            {
                "time": int(time.time()),
                "self_id": self.self_id,
                "post_type": "meta_event",
                "meta_event_type": "lifecycle",
                "sub_type": "connect",
            }
        )
        self.connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            call = json.loads(msg.data)
            params = call.get("params", {})
            if call["action"] == "get_group_member_info":
                await ws.send_json({**self._member_info(params), "echo": call.get("echo")})
                continue
            if call["action"] == "get_group_list" and self.groups is not None:
                listed = [{"group_id": g, "group_name": f"群{g}", "member_count": 50} for g in self.groups]
                await ws.send_json({"status": "ok", "retcode": 0, "data": listed, "echo": call.get("echo")})
                continue
            self.message_id += 1
            await ws.send_json(
                {"status": "ok", "retcode": 0, "data": {"message_id": self.message_id}, "echo": call.get("echo")}
            )
            if call["action"] in ("send_msg", "send_group_msg", "send_private_msg"):
                if params.get("group_id"):
                    entry = ("group", int(params["group_id"]), _text(params["message"]))
                else:
                    entry = ("private", int(params["user_id"]), _text(params["message"]))
                async with self.arrived:
                    self.messages.append(entry)
                    self.arrived.notify_all()
        return ws

    def _member_info(self, params: dict[str, object]) -> dict[str, object]:
        group_id, user_id = int(str(params["group_id"])), int(str(params["user_id"]))
        joined = self.members.get((group_id, user_id), time.time() - 30 * 86400)
        if joined is None:
            return {"status": "failed", "retcode": 100, "data": None, "message": "not a member", "wording": ""}
        data = {"group_id": group_id, "user_id": user_id, "join_time": int(joined), "role": "member"}
        return {"status": "ok", "retcode": 0, "data": data}

    async def _send(
        self, text: str, user_id: int, group_id: int | None, role: str = "member", cq_string: bool = False
    ) -> None:
        """cq_string: the message as one CQ-coded string (message_format "string")."""
        assert self.ws is not None
        self.message_id += 1
        event: dict[str, object] = {
            "time": int(time.time()),
            "self_id": self.self_id,
            "post_type": "message",
            "message_id": self.message_id,
            "user_id": user_id,
            "message": text if cq_string else [{"type": "text", "data": {"text": text}}],
            "raw_message": text,
            "font": 0,
            "sender": {"user_id": user_id, "nickname": f"商家{user_id}", "role": role},
        }
        if group_id is None:
            event.update(message_type="private", sub_type="friend")
        else:
            event.update(message_type="group", sub_type="normal", group_id=group_id)
        await self.ws.send_json(event)

    async def wait(self, channel: str, target: int, contains: str = "", timeout: float = 20) -> str:
        """The next message to this chat (after those already waited for) that holds
        `contains`."""
        key = (channel, target)

        def found() -> str | None:
            for index in range(self.read.get(key, 0), len(self.messages)):
                c, t, text = self.messages[index]
                if (c, t) == key and contains in text:
                    self.read[key] = index + 1
                    return text
            return None

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: found() is not None or False), timeout)
        # wait_for consumed the match already; return it from the read marker.
        return self.messages[self.read[key] - 1][2]

    async def say(self, text: str, user_id: int, role: str = "member", group_id: int = GROUP_ID) -> str:
        """A group member sends `text`; returns the bot's reply (not an alert)."""
        await self._send(text, user_id, group_id, role)
        while True:
            reply = await self.wait("group", group_id)
            if not any(mark in reply for mark in ("高风险买家预警", "升级为极高风险")) and not reply.startswith(
                "更正："
            ):
                return reply

    async def say_private(self, text: str, user_id: int, contains: str = "") -> str:
        """A private message; returns the bot's next private message to the user that
        holds `contains` (notices from the outbox may come in between)."""
        await self._send(text, user_id, None)
        return await self.wait("private", user_id, contains)


MODERATOR = 100009


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    port: int,
    web_port: int | None = None,
    extra_env: dict[str, str] | None = None,
    client: QQClientSide | None = None,
) -> AsyncIterator[QQClientSide]:
    """The QQ client's side served on `port`, and the bot started as the README says
    (`python -m bot`), connected to it; stopped after. Its log is tmp_path/bot.log.
    extra_env may set DATABASE_URL and IDENTITY_HASH_SECRET (several bots on one
    database); otherwise the bot keeps both in its data folder."""
    client = client or QQClientSide()
    app = web.Application()
    app.router.add_get("/", client.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IDENTITY_HASH_SECRET")}
    env = {
        **inherited,
        **(extra_env or {}),
        "DRIVER": "~aiohttp",
        "ONEBOT_WS_URLS": json.dumps([f"ws://127.0.0.1:{port}/"]),
        "SHOP_GUARD_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
        "COMMAND_START": '["/"]',
        "SUPERUSERS": json.dumps([str(MODERATOR)]),
        "SEND_GLOBAL_INTERVAL_SECONDS": "0.05",
        "WEB_ENABLED": "true" if web_port else "false",
        "WEB_PORT": str(web_port or 8080),
    }
    with (tmp_path / "bot.log").open("wb") as log:
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=str(ROOT),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await asyncio.wait_for(client.connected.wait(), timeout=60)
            # The lifecycle event is the first thing sent; give the handler tasks a moment.
            await asyncio.sleep(0.5)
            yield client
        finally:
            if bot.returncode is None:
                bot.terminate()
                try:
                    await asyncio.wait_for(bot.wait(), timeout=15)
                except TimeoutError:
                    bot.kill()
            await runner.cleanup()
