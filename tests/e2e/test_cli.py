"""The command-line tools as a merchant runs them: `python -m bot screen|import|export`."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.export_fixtures import BLACKLIST, EXPORT


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHOP_GUARD_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_import_screen_export(tmp_path: Path):
    (tmp_path / "黑名单.csv").write_bytes(BLACKLIST)
    (tmp_path / "订单.csv").write_bytes(EXPORT)

    imported = run(tmp_path, "import", "黑名单.csv", "--shop", "群黑名单")
    assert imported.returncode == 0, imported.stderr
    assert "新增举报 3 条" in imported.stdout and "第 6 行：不认识的平台「亚马逊」" in imported.stdout
    assert "IDENTITY_HASH_SECRET" in imported.stderr  # generated once, and said so

    screened = run(tmp_path, "screen", "订单.csv")
    assert screened.returncode == 0, screened.stderr
    # Eight orders: the one whose buyer cell is no buyer id (坏人;DROP) is screened without one.
    assert "订单筛查完成：淘宝，淘宝/天猫订单导出（ExportOrderList），共 8 笔订单" in screened.stdout
    assert "有 1 行的买家账号读不出来" in screened.stdout
    assert "买家 tb_bad · 需警惕" in screened.stdout and "1家店铺举报（差评敲诈×1" in screened.stdout
    result = (tmp_path / "订单.screened.csv").read_text(encoding="utf-8-sig")
    assert "tb_bad" in result and "13812345678" not in result and "13812345678" not in screened.stdout

    exported = run(tmp_path, "export", "pool.csv")
    assert exported.returncode == 0, exported.stderr
    assert "已导出 3 条有效举报" in exported.stdout
    assert "tb_bad2" in (tmp_path / "pool.csv").read_text(encoding="utf-8-sig")


def test_errors_are_explained(tmp_path: Path):
    missing = run(tmp_path, "screen", "nope.csv")
    assert missing.returncode == 2 and "找不到文件" in missing.stderr
    (tmp_path / "bad.csv").write_text("买家会员名,金额\nx,1\n")
    bad = run(tmp_path, "screen", "bad.csv")
    assert bad.returncode == 1 and "缺少必需的列：「订单编号」" in bad.stderr
    assert "Traceback" not in bad.stderr
    platform = run(tmp_path, "screen", "bad.csv", "--platform", "亚马逊")
    assert platform.returncode == 2 and "不认识的平台「亚马逊」" in platform.stderr


def test_the_start_command_opens_the_terminal_chat(tmp_path: Path):
    """`python -m bot` with no OneBot connection, in a terminal (the README's first
    command): the console window comes up and nothing crashes. It once did, on a log
    handler the window takes over."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("ONEBOT_WS_URLS", "DRIVER", "DATABASE_URL")}
    env.update(SHOP_GUARD_DATA_DIR=str(tmp_path / "data"), TERM="xterm-256color")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stdin=child, stdout=child, stderr=child, close_fds=True
    )
    os.close(child)
    output = b""
    # Up well before this on a 2-core machine; the crash came within seconds.
    deadline = time.monotonic() + 12
    try:
        while time.monotonic() < deadline and b"Traceback" not in output:
            ready, _, _ = select.select([main], [], [], 1)
            if ready:
                try:
                    output += os.read(main, 65536)
                except OSError:  # the child closed the terminal
                    break
        alive = process.poll() is None
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        os.close(main)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", output.decode(errors="replace"))
    assert "Traceback" not in text, text[-3000:]
    assert alive and "Nonebot" in text, text[-3000:]  # the window's title bar


def test_robot_add_list_remove(tmp_path: Path):
    token = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    address = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={token}"
    added = run(tmp_path, "robot", "add", address, "--level", "极高风险", "--digest", "关")
    assert added.returncode == 0, added.stderr
    assert "已登记企业微信机器人 #1" in added.stdout and "预警 极高风险，日报 关" in added.stdout
    dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    signed = subprocess.run(
        [sys.executable, "-m", "bot", "robot", "add", dingtalk, "--secret", "-", "--digest", "20:00"],
        cwd=tmp_path,
        env={**os.environ, "SHOP_GUARD_DATA_DIR": str(tmp_path / "data")},
        input="SECsecret0123\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert signed.returncode == 0, signed.stderr
    assert "已登记钉钉机器人 #2" in signed.stdout and "已加签" in signed.stdout

    listed = run(tmp_path, "robot", "list")
    assert "#1 企业微信 qyapi.weixin.qq.com/…6789" in listed.stdout and "#2 钉钉" in listed.stdout
    assert token not in listed.stdout + added.stdout and "SECsecret0123" not in listed.stdout
    database = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("shop_guard.sqlite3*"))
    assert token.encode() not in database and b"SECsecret0123" not in database

    refused = run(tmp_path, "robot", "add", "http://192.168.1.10:8080/hook")
    assert refused.returncode == 1 and "只能推送到企业微信、钉钉或飞书的官方地址" in refused.stderr
    removed = run(tmp_path, "robot", "remove", "1")
    assert removed.returncode == 0 and "已删除企业微信机器人 #1" in removed.stdout
    assert "#1" not in run(tmp_path, "robot", "list").stdout


def test_the_terminal_chat_shows_each_reply_and_ctrl_q_stops_the_bot(tmp_path: Path):
    """The window scrolled to a new message only when the user sent it: once the history
    filled the window, each reply showed only after the next message. And ctrl+q closed
    the window but left the bot running ("Press Ctrl-C for Application exit")."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("ONEBOT_WS_URLS", "DRIVER", "DATABASE_URL")}
    env.update(SHOP_GUARD_DATA_DIR=str(tmp_path / "data"), TERM="xterm-256color", WEB_ENABLED="false")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stdin=child, stdout=child, stderr=child, close_fds=True
    )
    os.close(child)
    output = bytearray()

    def screen() -> str:
        return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", output.decode(errors="replace"))

    def read_until(seconds: float, text: str | None = None) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    output.extend(os.read(main, 65536))
                except OSError:  # the child closed the terminal
                    return False
            if text is not None and text in screen():
                return True
        return False

    try:
        assert read_until(30, "Nonebot"), screen()[-2000:]
        os.write(main, b"\x1f")  # ctrl+/ focuses the input
        read_until(1)
        for n in range(1, 8):
            os.write(main, f"/查 tb_tty{n}".encode())
            time.sleep(0.2)
            os.write(main, b"\r")
            assert read_until(15, f"tb_tty{n}：无记录"), f"reply {n} not on the screen: {screen()[-2000:]}"
        os.write(main, b"\x11")  # ctrl+q
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            read_until(0.5)
        assert process.poll() == 0, screen()[-2000:]
        assert "终端聊天窗口已关闭，机器人正在停止" in screen()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        os.close(main)
