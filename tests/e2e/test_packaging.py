"""A wheel built from the project holds the templates, the data files and every plugin,
and a bot installed from it (not editable, started outside the repository) answers
/帮助 over OneBot v11."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import ROOT
from tests.onebot_client import QQClientSide


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("shop_guard-*.whl"))


def _tracked(*folders: str) -> list[str]:
    """The project's files (tracked or new, not ignored) under these folders."""
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if (ROOT / line).is_file() and not line.endswith(".gitignore")]


def test_the_wheel_holds_every_module_template_and_data_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [
        *(
            path
            for path in _tracked("bot", "nonebot_plugin_shop_guard", "shop_guard_chat")
            if path.endswith(".py") or path.startswith("bot/data/")
        ),
        *(f"bot/{path}" for path in _tracked("templates")),
    ]
    assert len(expected) > 150
    assert [path for path in expected if path not in names] == []


async def test_an_installed_bot_starts_and_answers_help(wheel: Path, tmp_path: Path, unused_tcp_port: int):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    home = tmp_path / "home"  # somewhere that is not the repository
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    located = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bot, importlib.util as u; print(bot.TEMPLATES); print(u.find_spec('nonebot_plugin_shop_guard').origin)",
        ],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(line.startswith(str(target)) for line in located.stdout.splitlines()), located.stdout

    client = QQClientSide()
    app = web.Application()
    app.router.add_get("/", client.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    env.update(
        DRIVER="~aiohttp",
        ONEBOT_WS_URLS=json.dumps([f"ws://127.0.0.1:{unused_tcp_port}/"]),
        SHOP_GUARD_DATA_DIR=str(tmp_path / "data"),
        COMMAND_START='["/"]',
    )
    env.pop("DATABASE_URL", None)
    log = (tmp_path / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=str(home), env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await asyncio.wait_for(client.connected.wait(), timeout=60)
        await asyncio.sleep(0.5)
        reply = await client.say("/帮助", user_id=1001)
        assert "电商联防机器人" in reply and "/举报" in reply and "/查" in reply
    finally:
        bot.terminate()
        try:
            await asyncio.wait_for(bot.wait(), timeout=15)
        except TimeoutError:
            bot.kill()
        log.close()
        await runner.cleanup()
    assert (tmp_path / "data" / "shop_guard.sqlite3").exists()
