"""The README's way to try the group features without QQ (scripts/onebot_playground.py):
the bot started as the README says connects to it, and what is typed there reaches the
bot as group and private messages and file uploads, over a real OneBot v11 WebSocket."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import os
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.export_fixtures import EXPORT


def _playground_module():
    spec = importlib.util.spec_from_file_location("onebot_playground", ROOT / "scripts" / "onebot_playground.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def _typed(playground, line: str, contains: str, timeout: float = 30) -> tuple[str, int, str]:
    """Type a line; the first message the bot sends after it that holds `contains`."""
    start = len(playground.sent)
    await playground.line(line)
    for _ in range(int(timeout * 20)):
        for sent in playground.sent[start:]:
            if contains in sent[2]:
                return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"no reply with {contains!r}; output so far: {playground.out.getvalue()[-2000:]}")


async def test_typing_in_the_playground_reaches_the_bot(tmp_path: Path, unused_tcp_port: int):
    module = _playground_module()
    playground = module.Playground(unused_tcp_port, out=io.StringIO())
    runner = await playground.serve()
    env = {
        **os.environ,
        "DRIVER": "~aiohttp",
        "ONEBOT_WS_URLS": json.dumps([f"ws://127.0.0.1:{unused_tcp_port}/"]),
        "SUPERUSERS": '["10000"]',
        "DOWNLOAD_ALLOW_HOSTS": '["127.0.0.1"]',
        "SHOP_GUARD_DATA_DIR": str(tmp_path / "data"),
        "COMMAND_START": '["/"]',
    }
    env.pop("DATABASE_URL", None)
    with (tmp_path / "bot.log").open("wb") as log:
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=str(ROOT),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            await asyncio.wait_for(playground.connected.wait(), timeout=60)
            await asyncio.sleep(0.5)
            assert await playground.line(":as 10005")
            assert "QQ 10005" in playground.out.getvalue()
            channel, target, _ = await _typed(playground, "/绑定 淘宝 试用店", "已绑定店铺：【淘宝】试用店")
            assert (channel, target) == ("group", 700001)
            await playground.line(":admin")
            await _typed(playground, "/设置 预警 极高风险", "预警：极高风险")
            # An order export uploaded into the group is screened for the shop.
            export = tmp_path / "订单.csv"
            export.write_bytes(EXPORT)
            await _typed(playground, f":file {export}", "订单.csv", timeout=60)
            await playground.line(":private")
            channel, target, _ = await _typed(playground, "/查 tb_x", "tb_x：无记录")
            assert (channel, target) == ("private", 10005)
            assert not await playground.line(":quit")
        finally:
            if bot.returncode is None:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), timeout=15)
            await runner.cleanup()
    assert "Traceback" not in (tmp_path / "bot.log").read_text(errors="replace")


async def test_the_playground_beats_like_a_real_client_and_as_makes_a_member(unused_tcp_port: int):
    """Idle, NoneBot's forward WebSocket gave up on the silent playground every 30 s (an
    ERROR traceback and a reconnect); real clients send heartbeat events. And `:as` kept
    the previous speaker's admin role for the next person."""
    import aiohttp

    module = _playground_module()
    playground = module.Playground(unused_tcp_port, out=io.StringIO(), heartbeat_seconds=0.2)
    runner = await playground.serve()
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(f"ws://127.0.0.1:{unused_tcp_port}/") as ws:
            events = [await asyncio.wait_for(ws.receive_json(), timeout=5) for _ in range(3)]
        assert events[0]["meta_event_type"] == "lifecycle"
        for beat in events[1:]:
            assert beat["post_type"] == "meta_event" and beat["meta_event_type"] == "heartbeat"
            assert beat["status"] == {"online": True, "good": True} and beat["interval"] == 200
            assert beat["self_id"] == module.SELF_ID
        assert module.HEARTBEAT_SECONDS == 5.0  # go-cqhttp's and Lagrange.OneBot's default
    finally:
        await runner.cleanup()

    await playground.line(":admin")
    assert playground.speaker.role == "admin"
    await playground.line(":as 10002")
    assert (playground.speaker.user_id, playground.speaker.role) == (10002, "member")
    assert "QQ 10002]" in playground.out.getvalue().splitlines()[-1]
