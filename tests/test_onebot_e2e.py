"""End to end over a real OneBot v11 forward WebSocket.

The test plays the QQ client's side (what NapCat / Lagrange do): it serves the
WebSocket, the bot is started as a separate process with `python -m bot` exactly as the
README says, connects, receives group messages and answers them through `send_msg`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from aiohttp import WSMsgType, web

ROOT = Path(__file__).resolve().parent.parent
SELF_ID = 3_000_000_001
GROUP_ID = 700_001


class QQClientSide:
    """The OneBot implementation's end of the forward WebSocket."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.sent: asyncio.Queue[dict] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None
        self.message_id = 0
        self.alerts: list[str] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json(
            {
                "time": int(time.time()),
                "self_id": SELF_ID,
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
            self.message_id += 1
            await ws.send_json(
                {"status": "ok", "retcode": 0, "data": {"message_id": self.message_id}, "echo": call.get("echo")}
            )
            await self.sent.put(call)
        return ws

    async def say(self, text: str, user_id: int, role: str = "member") -> str:
        """A group member sends `text`; returns the bot's reply text."""
        assert self.ws is not None
        self.message_id += 1
        await self.ws.send_json(
            {
                "time": int(time.time()),
                "self_id": SELF_ID,
                "post_type": "message",
                "message_type": "group",
                "sub_type": "normal",
                "message_id": self.message_id,
                "group_id": GROUP_ID,
                "user_id": user_id,
                "message": [{"type": "text", "data": {"text": text}}],
                "raw_message": text,
                "font": 0,
                "sender": {"user_id": user_id, "nickname": f"商家{user_id}", "role": role},
            }
        )
        while True:
            text = await self.next_group_message()
            if "高风险买家预警" not in text:
                return text
            self.alerts.append(text)  # the outbox sender's, not the reply

    async def next_group_message(self, timeout: float = 20) -> str:
        call = await asyncio.wait_for(self.sent.get(), timeout=timeout)
        assert call["action"] in ("send_msg", "send_group_msg"), call
        params = call["params"]
        assert params.get("group_id") == GROUP_ID, params
        message = params["message"]
        if isinstance(message, str):
            return message
        return "".join(seg["data"].get("text", "") for seg in message if seg["type"] == "text")


async def test_bind_report_check_over_onebot_websocket(tmp_path: Path, unused_tcp_port: int):
    client = QQClientSide()
    app = web.Application()
    app.router.add_get("/", client.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()

    env = {
        **os.environ,
        "DRIVER": "~aiohttp",
        "ONEBOT_WS_URLS": json.dumps([f"ws://127.0.0.1:{unused_tcp_port}/"]),
        "LOCALSTORE_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
        "COMMAND_START": '["/"]',
    }
    env.pop("DATABASE_URL", None)
    env.pop("IDENTITY_HASH_SECRET", None)
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
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

            assert "已订阅" in await client.say("/订阅 23:59", user_id=1009, role="admin")
            assert "已绑定店铺：【淘宝】甲店" in await client.say("/绑定 淘宝 甲店", user_id=1001)
            assert "已绑定店铺：【拼多多】乙店" in await client.say("/bind pdd 乙店", user_id=1002)

            reply = await client.say(
                "/举报 淘宝 e2e_buyer 差评师 3720012345678901 20 要20元改评 手机:13912345678", user_id=1001
            )
            assert "已收到举报 #" in reply and "需警惕（50/100）" in reply and "139****5678" in reply
            assert "13912345678" not in reply
            reply = await client.say("/report e2e_buyer 恶意退货 3720012345678999", user_id=1002)
            assert "该买家现在：高风险" in reply

            reply = await client.say("/查 淘宝 E2E_BUYER", user_id=1003)
            assert "风险等级：高风险" in reply and "2 家店铺举报：差评敲诈 ×1、恶意退货 ×1" in reply
            assert "禁止购买" in reply

            reply = await client.say("/查 淘宝 " + "😀" * 3, user_id=1003)
            assert "买家ID里有不支持的字符" in reply
            assert "风险等级：无记录" in await client.say("/check nobody_here", user_id=1003)

            # The crossing report queued one alert; the paced sender delivers it once.
            deadline = time.monotonic() + 20
            while not client.alerts and time.monotonic() < deadline:
                with contextlib.suppress(asyncio.TimeoutError):
                    client.alerts.append(await client.next_group_message(timeout=1))
            assert len(client.alerts) == 1 and "淘宝 · e2*****er" in client.alerts[0], client.alerts
            await asyncio.sleep(3)
            assert client.sent.empty()
        finally:
            if bot.returncode is None:
                bot.terminate()
                try:
                    await asyncio.wait_for(bot.wait(), timeout=15)
                except TimeoutError:
                    bot.kill()
            await runner.cleanup()

    output = log_path.read_text(errors="replace")
    # The secret was generated once and said so; the phone never reached the log.
    assert (
        tmp_path / "data" / "plugins_storage" / "identity_hash_secret"
    ).exists() or "identity_hash_secret" in output, output[-3000:]
    assert "13912345678" not in output
    assert "Traceback" not in output, output[-3000:]
