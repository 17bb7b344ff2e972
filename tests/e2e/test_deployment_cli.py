"""The deployment commands as an operator runs them: `python -m bot doctor`, `backup`,
`restore`, and the start refused when the fingerprint key does not fit the pool."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from tests.export_fixtures import BLACKLIST

EX_CONFIG = 78


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SHOP_GUARD_DATA_DIR": str(data), **extra}
    for name in ("DATABASE_URL", "IDENTITY_HASH_SECRET", "ONEBOT_WS_URLS", "WEB_PUBLIC_URL", "DRIVER"):
        if name not in extra:
            env.pop(name, None)
    return env


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_backup_and_restore_move_a_pool_to_a_new_data_folder(tmp_path: Path):
    (tmp_path / "黑名单.csv").write_bytes(BLACKLIST)
    old = _env(tmp_path / "old")
    assert run(tmp_path, old, "import", "黑名单.csv", "--shop", "群黑名单").returncode == 0
    made = run(tmp_path, old, "backup", "备份.tar.gz")
    assert made.returncode == 0, made.stderr
    assert "备份已写好" in made.stdout and "3 条举报" in made.stdout and "python -m bot restore" in made.stdout

    new = _env(tmp_path / "new")
    restored = run(tmp_path, new, "restore", "备份.tar.gz")
    assert restored.returncode == 0, restored.stderr
    assert "已从备份恢复" in restored.stdout and "3 条举报" in restored.stdout
    exported = run(tmp_path, new, "export", "pool.csv")
    assert exported.returncode == 0 and "已导出 3 条有效举报" in exported.stdout, exported.stderr

    again = run(tmp_path, new, "restore", "备份.tar.gz")
    assert again.returncode == EX_CONFIG and "不是空的" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = run(tmp_path, new, "restore", "备份.tar.gz", "--force")
    assert forced.returncode == 0 and "改了名留着" in forced.stdout, forced.stderr


def test_another_key_is_refused_by_the_tools_and_by_the_bot(tmp_path: Path):
    (tmp_path / "黑名单.csv").write_bytes(BLACKLIST)
    first = _env(tmp_path / "data", IDENTITY_HASH_SECRET="the-first-key-0123456789abcdef")
    assert run(tmp_path, first, "import", "黑名单.csv", "--shop", "群黑名单").returncode == 0
    other = _env(tmp_path / "data", IDENTITY_HASH_SECRET="another-key-0123456789abcdef")

    tool = run(tmp_path, other, "export", "pool.csv")
    assert tool.returncode == EX_CONFIG and "密钥和数据库不匹配" in tool.stderr and "Traceback" not in tool.stderr
    assert not (tmp_path / "pool.csv").exists()

    # The bot itself (no OneBot configured and no terminal: it starts without a chat).
    started = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env={**other, "WEB_ENABLED": "false"},
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert started.returncode == EX_CONFIG, started.stdout[-3000:] + started.stderr[-3000:]
    # The reason is the last thing printed, after NoneBot's log of the failed start.
    last = started.stderr.strip().split("启动被拒绝：")[-1]
    assert last.startswith("手机号/地址指纹密钥和数据库不匹配") and "IDENTITY_HASH_SECRET" in last, started.stderr[
        -2000:
    ]
    assert "3. 原来的密钥确实找不回了" in last.splitlines()[-1]


async def _ws_server(port: int, token: str | None) -> web.AppRunner:
    async def handle(request: web.Request) -> web.StreamResponse:
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            raise web.HTTPUnauthorized()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _doctor(tmp_path: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_doctor_says_what_to_fix(tmp_path: Path, unused_tcp_port_factory):
    good, guarded = unused_tcp_port_factory(), unused_tcp_port_factory()
    closed = unused_tcp_port_factory()
    runners = [await _ws_server(good, None), await _ws_server(guarded, "right-token")]
    try:
        urls = [f"ws://127.0.0.1:{port}/" for port in (good, guarded, closed)]
        env = _env(tmp_path / "data", ONEBOT_WS_URLS=json.dumps(urls), ONEBOT_ACCESS_TOKEN="wrong-token")
        code, out = await _doctor(tmp_path, env)
        assert code == 1, out
        lines = out.splitlines()
        assert f"✓ OneBot 客户端 ws://127.0.0.1:{good}/：连得上" in lines
        assert any(
            line.startswith(f"✗ OneBot 客户端 ws://127.0.0.1:{guarded}/ 拒绝了连接（HTTP 401）") for line in lines
        )
        assert any(line.startswith(f"✗ OneBot 客户端 ws://127.0.0.1:{closed}/ 连不上") for line in lines)
        assert "ONEBOT_ACCESS_TOKEN" in out
        # No WEB_PUBLIC_URL: the /后台 links would point at this machine.
        assert "✗ 网页后台的外部地址是 http://127.0.0.1:8080（本机地址），因为没有设置 WEB_PUBLIC_URL" in out
        assert "WEB_PUBLIC_URL=https://" in out
        assert f"✓ 数据目录 {tmp_path / 'data'}：还不存在，第一次启动时创建" in out
        assert "✓ 指纹密钥：还没有，第一次启动时生成" in out
        assert "✓ 图表字体：chart-sc.otf 可以用" in out
        assert not (tmp_path / "data").exists()  # the doctor writes nothing

        fixed = {**env, "ONEBOT_WS_URLS": json.dumps(urls[:1]), "WEB_PUBLIC_URL": "https://guard.example.com"}
        code, out = await _doctor(tmp_path, fixed)
        assert code == 0 and out.strip().endswith("全部正常。"), out
    finally:
        for runner in runners:
            await runner.cleanup()
