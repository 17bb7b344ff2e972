"""Try the group features without QQ: a local OneBot v11 client in the terminal.

It plays the QQ client's side of a forward WebSocket (what NapCat or Lagrange do): the
bot connects to it as it would to a real client, and you type as group members, admins
or private users; everything the bot sends (replies, alerts, digests, invitations,
corrections) is printed with where it went.

    .venv/bin/python scripts/onebot_playground.py            # terminal 1
    ONEBOT_WS_URLS='["ws://127.0.0.1:6700/"]' SUPERUSERS='["10000"]' \\
        DOWNLOAD_ALLOW_HOSTS='["127.0.0.1"]' .venv/bin/python -m bot   # terminal 2

Then type in terminal 1. A line is a message from the current speaker in the current
chat; lines starting with ":" change who and where:

    :as 10002        speak as QQ 10002 (a member: roles are per speaker)
    :group 700002    talk in group 700002
    :admin / :owner / :member   the speaker's role in the group
    :private         talk to the bot privately  :file orders.csv  upload a file here
    :quit            stop (Ctrl+D too)

Nothing here is part of the bot; it is a test client, for people and for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

SELF_ID = 3_000_000_001
# Real clients send a heartbeat event on an interval (go-cqhttp and Lagrange.OneBot every
# 5 s by default): NoneBot's forward WebSocket gives up on a connection that stays
# silent for 30 s and reconnects, logging an error each time.
HEARTBEAT_SECONDS = 5.0


@dataclass
class Speaker:
    user_id: int = 10001
    group_id: int | None = 700001
    role: str = "member"

    def where(self) -> str:
        chat = f"群 {self.group_id}" if self.group_id else "私聊"
        return f"[{chat} · QQ {self.user_id}{' · ' + self.role if self.group_id and self.role != 'member' else ''}]"


def _text(message: Any) -> str:
    if isinstance(message, str):
        return message
    parts = []
    for segment in message:
        if segment["type"] == "text":
            parts.append(segment["data"].get("text", ""))
        elif segment["type"] == "at":
            parts.append(f"@{segment['data'].get('qq')} ")
        elif segment["type"] == "image":
            parts.append("[图片]")
    return "".join(parts)


class Playground:
    """The client's end: turns typed lines into OneBot events, answers the bot's API
    calls, serves uploaded files, and prints what the bot sends."""

    def __init__(self, port: int, out: Any = sys.stdout, heartbeat_seconds: float = HEARTBEAT_SECONDS):
        self.port = port
        self.out = out
        self.heartbeat_seconds = heartbeat_seconds
        self.ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.ids = itertools.count(1)
        self.files: dict[str, Path] = {}
        self.speaker = Speaker()
        self.sent: list[tuple[str, int, str]] = []  # (channel, target, text), for tests

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json(self._base("meta_event", meta_event_type="lifecycle", sub_type="connect"))
        self.connected.set()
        self.print("（机器人已连接，可以输入了）")
        heartbeat = asyncio.create_task(self._heartbeat(ws))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._api(json.loads(msg.data))
        finally:
            heartbeat.cancel()
        self.print("（机器人断开了连接）")
        return ws

    async def _heartbeat(self, ws: web.WebSocketResponse) -> None:
        interval_ms = int(self.heartbeat_seconds * 1000)
        while not ws.closed:
            await asyncio.sleep(self.heartbeat_seconds)
            status = {"online": True, "good": True}
            try:
                await ws.send_json(
                    self._base("meta_event", meta_event_type="heartbeat", status=status, interval=interval_ms)
                )
            except ConnectionError:
                return

    async def file(self, request: web.Request) -> web.StreamResponse:
        path = self.files.get(request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    def _base(self, post_type: str, **fields: Any) -> dict[str, Any]:
        return {"time": int(time.time()), "self_id": SELF_ID, "post_type": post_type, **fields}

    async def _api(self, call: dict[str, Any]) -> None:
        assert self.ws is not None
        action, params = call.get("action", ""), call.get("params", {})
        data: Any = {"message_id": next(self.ids)}
        if action in ("send_msg", "send_group_msg", "send_private_msg"):
            if params.get("group_id"):
                channel, target = "group", int(params["group_id"])
            else:
                channel, target = "private", int(params["user_id"])
            text = _text(params.get("message", ""))
            self.sent.append((channel, target, text))
            where = f"群 {target}" if channel == "group" else f"私聊 QQ {target}"
            self.print(f"\n—— 机器人 → {where} ——\n{text}\n")
        elif action in ("get_group_file_url", "get_file"):
            data = {"url": f"http://127.0.0.1:{self.port}/files/{params.get('file_id')}"}
        elif action in ("upload_group_file", "upload_private_file"):
            self.print(f"\n—— 机器人上传了文件「{params.get('name')}」——\n")
            data = None
        elif action == "get_login_info":
            data = {"user_id": SELF_ID, "nickname": "联防机器人"}
        await self.ws.send_json({"status": "ok", "retcode": 0, "data": data, "echo": call.get("echo")})

    async def say(self, text: str) -> None:
        assert self.ws is not None
        who = self.speaker
        event = self._base(
            "message",
            message_id=next(self.ids),
            user_id=who.user_id,
            message=[{"type": "text", "data": {"text": text}}],
            raw_message=text,
            font=0,
            sender={"user_id": who.user_id, "nickname": f"商家{who.user_id}", "role": who.role},
        )
        if who.group_id is None:
            event.update(message_type="private", sub_type="friend")
        else:
            event.update(message_type="group", sub_type="normal", group_id=who.group_id)
        await self.ws.send_json(event)

    async def upload(self, path: Path) -> None:
        assert self.ws is not None
        file_id = f"f{next(self.ids)}"
        self.files[file_id] = path
        who = self.speaker
        size = (await asyncio.to_thread(path.stat)).st_size
        if who.group_id is None:
            segment = {
                "type": "file",
                "data": {"file": path.name, "name": path.name, "file_id": file_id, "file_size": size},
            }
            await self.ws.send_json(
                self._base(
                    "message",
                    message_type="private",
                    sub_type="friend",
                    message_id=next(self.ids),
                    user_id=who.user_id,
                    message=[segment],
                    raw_message="[文件]",
                    font=0,
                    sender={"user_id": who.user_id, "nickname": f"商家{who.user_id}"},
                )
            )
        else:
            await self.ws.send_json(
                self._base(
                    "notice",
                    notice_type="group_upload",
                    group_id=who.group_id,
                    user_id=who.user_id,
                    file={"id": file_id, "name": path.name, "size": size, "busid": 102},
                )
            )

    async def line(self, line: str) -> bool:
        """One typed line; False to stop."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        if word in (":quit", ":q", ":exit"):
            return False
        if word == ":as" and rest.strip().isdigit():
            # Another person: a member until :admin or :owner says otherwise.
            self.speaker.user_id = int(rest.strip())
            self.speaker.role = "member"
        elif word == ":group" and rest.strip().isdigit():
            self.speaker.group_id = int(rest.strip())
        elif word == ":private":
            self.speaker.group_id = None
        elif word in (":admin", ":owner", ":member"):
            self.speaker.role = word[1:]
        elif word == ":file":
            path = await asyncio.to_thread(lambda: Path(rest.strip()).expanduser())
            if not await asyncio.to_thread(path.is_file):
                self.print(f"没有这个文件：{path}")
                return True
            await self.upload(path)
        elif word.startswith(":"):
            self.print(__doc__.split("Then type", 1)[1].split("Nothing here", 1)[0])
            return True
        elif not self.connected.is_set():
            self.print("机器人还没连上：先在另一个终端启动它（见上面的说明）。")
            return True
        else:
            await self.say(line)
            return True
        self.print(f"现在是 {self.speaker.where()}")
        return True

    async def serve(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/", self.websocket)
        app.router.add_get("/files/{name}", self.file)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


async def main(port: int) -> None:
    playground = Playground(port)
    runner = await playground.serve()
    playground.print(
        f"OneBot v11 测试客户端：ws://127.0.0.1:{port}/\n"
        f"另开一个终端启动机器人：\n"
        f"  ONEBOT_WS_URLS='[\"ws://127.0.0.1:{port}/\"]' SUPERUSERS='[\"10000\"]' "
        f"DOWNLOAD_ALLOW_HOSTS='[\"127.0.0.1\"]' .venv/bin/python -m bot\n"
        f"输入 :help 看切换说话人/群/私聊的方法。现在是 {playground.speaker.where()}"
    )
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or not await playground.line(line):
                break
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A OneBot v11 client in the terminal, to try the bot without QQ.")
    parser.add_argument("--port", type=int, default=6700)
    asyncio.run(main(parser.parse_args().port))
