"""Load through the real bot: `python -m bot` over a real OneBot v11 WebSocket, with this
script playing the QQ client's side, on the pool of check_bench.py (1,000,000 reports).

    .venv/bin/python bench/load_bench.py                       # every scenario, SQLite
    .venv/bin/python bench/load_bench.py --scenarios idle,screening,digest
    .venv/bin/python bench/load_bench.py --database-url postgres://postgres@127.0.0.1:5432/bench

Scenarios (each prints its figures; the bot's own event-loop watch reports the worst
stall of every second, read from its log):
  idle       /查 one at a time: the p50/p99 every other scenario is compared with
  groups     /查 from 1, 10 and 50 groups at once: p50/p99 and replies per second, beside
             a bare NoneBot bot with one echo matcher measured the same way (baseline)
  chatter    ordinary group messages that are not for the bot, as fast as it takes them
  screening  /查 while a 300,000-row order export is screened (a worker process)
  digest     /查 while a digest round for --digest-groups subscribed groups is queued
Peak RSS of the bot process is printed for each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import WSMsgType, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import SECRET, buyer_key, fill, percentile
from screen_bench import make_export

SELF_ID = 3_000_000_001
SHANGHAI_OFFSET = timedelta(hours=8)


class Client:
    """The OneBot implementation's end: serves the WebSocket, sends events, matches each
    reply to the group (or user) that is waiting for it."""

    def __init__(self, self_id: int = SELF_ID, groups: list[int] | None = None) -> None:
        # groups: the account's groups, for get_group_list (scale_bench.py); None: the
        # call is answered like any other, and the bot sends to every group.
        self.self_id, self.groups = self_id, groups
        self.connected = asyncio.Event()
        self.ws: web.WebSocketResponse | None = None
        self.waiting: dict[tuple[str, int], asyncio.Future[str]] = {}
        self.message_id = 0
        self.private: list[str] = []
        self.group_messages = 0
        self.alerts: Counter[int] = Counter()  # alerts received, per group

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json(
            {"time": int(time.time()), "self_id": self.self_id, "post_type": "meta_event",
             "meta_event_type": "lifecycle", "sub_type": "connect"}
        )  # fmt: skip
        self.connected.set()
        heartbeat = asyncio.create_task(self._heartbeat(ws))
        try:
            await self._serve(ws)
        finally:
            heartbeat.cancel()
        return ws

    async def _heartbeat(self, ws: web.WebSocketResponse) -> None:
        # What OneBot clients send; without it the bot's connection times out when idle.
        while True:
            await asyncio.sleep(5)
            await ws.send_json({"time": int(time.time()), "self_id": self.self_id, "post_type": "meta_event",
                                "meta_event_type": "heartbeat", "status": {"online": True, "good": True},
                                "interval": 5000})  # fmt: skip

    async def _serve(self, ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            call = json.loads(msg.data)
            if call.get("action") == "get_group_list" and self.groups is not None:
                listed = [{"group_id": g, "group_name": f"群{g}", "member_count": 200} for g in self.groups]
                await ws.send_json({"status": "ok", "retcode": 0, "data": listed, "echo": call.get("echo")})
                continue
            self.message_id += 1
            await ws.send_json({"status": "ok", "retcode": 0, "data": {"message_id": self.message_id},
                                "echo": call.get("echo")})  # fmt: skip
            params = call.get("params", {})
            message = params.get("message")
            text = (
                message
                if isinstance(message, str)
                else "".join(seg["data"].get("text", "") for seg in message or [] if seg["type"] == "text")
            )
            if params.get("group_id"):
                self.group_messages += 1
                key = ("group", int(params["group_id"]))
                if "高风险买家预警" in text:
                    self.alerts[key[1]] += 1
            else:
                key = ("private", int(params.get("user_id", 0)))
                self.private.append(text)
            future = self.waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(text)

    async def event(self, text: str, group_id: int | None, user_id: int, file: dict | None = None) -> None:
        assert self.ws is not None
        self.message_id += 1
        message = [{"type": "text", "data": {"text": text}}] if file is None else [{"type": "file", "data": file}]
        event = {
            "time": int(time.time()), "self_id": self.self_id, "post_type": "message", "message_id": self.message_id,
            "user_id": user_id, "message": message, "raw_message": text, "font": 0,
            "sender": {"user_id": user_id, "nickname": f"商家{user_id}", "role": "member"},
        }  # fmt: skip
        if group_id is None:
            event.update(message_type="private", sub_type="friend")
        else:
            event.update(message_type="group", sub_type="normal", group_id=group_id)
        await self.ws.send_json(event)

    async def ask(self, text: str, group_id: int, user_id: int, timeout: float = 60) -> tuple[str, float]:
        """Send a group message and wait for the bot's next message to that group."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting[("group", group_id)] = future
        started = time.perf_counter()
        await self.event(text, group_id, user_id)
        reply = await asyncio.wait_for(future, timeout)
        return reply, (time.perf_counter() - started) * 1000


class Bot:
    """A bot process under test, with its log."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path):
        self.command, self.env, self.log = command, env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.handle = self.log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *self.command, cwd=str(ROOT), env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=self.handle, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip

    def peak_rss_mb(self) -> float:
        assert self.process is not None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        except (OSError, AttributeError):
            return float("nan")

    def worst_stall(self, since: float, until: float) -> float:
        """The worst event-loop stall the bot reported between two wall-clock times."""
        worst = 0.0
        for match in re.finditer(r"loop-watch t=([\d.]+) worst_ms=([\d.]+)", self.log.read_text(errors="replace")):
            # Each line covers the second before it: only periods within [since, until].
            if since + 1 <= float(match.group(1)) <= until + 1:
                worst = max(worst, float(match.group(2)))
        return worst

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
        self.handle.close()


def _file_handler(path: Path):  # -> the handler aiohttp wants
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path)

    return handler


async def serve(client: Client, port: int, files: dict[str, Path]) -> web.AppRunner:
    app = web.Application()
    app.router.add_get("/", client.handle)
    for name, path in files.items():
        app.router.add_get(f"/{name}", _file_handler(path))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def checks(client: Client, buyers: int, seconds: float | None = None, count: int = 300,
                 group_id: int = 9_000_001, stop: asyncio.Event | None = None) -> list[float]:  # fmt: skip
    """/查 one at a time from one group, `count` of them or for `seconds` (or until
    `stop`); returns the round-trip times in ms."""
    rng = random.Random(group_id)
    times: list[float] = []
    deadline = time.monotonic() + seconds if seconds else None
    while True:
        if deadline is not None and time.monotonic() > deadline:
            break
        if deadline is None and stop is None and len(times) >= count:
            break
        if stop is not None and stop.is_set():
            break
        n = rng.randrange(buyers)
        reply, ms = await client.ask(f"/查 {buyer_key(n)}", group_id, 10_000 + group_id % 1000)
        assert buyer_key(n) in reply, reply[:200]
        times.append(ms)
    return times


def line(label: str, times: list[float], extra: str = "") -> str:
    return f"{label:<34} p50 {statistics.median(times):7.1f} ms   p99 {percentile(times, 0.99):7.1f} ms   n={len(times):,}{extra}"


async def scenario_groups(client: Client, buyers: int, label: str) -> dict[int, float]:
    rates = {}
    for groups in (1, 10, 50):
        per_group = max(20, 600 // groups)
        started = time.perf_counter()
        results = await asyncio.gather(
            *(checks(client, buyers, count=per_group, group_id=8_000_000 + groups * 100 + g) for g in range(groups))
        )
        elapsed = time.perf_counter() - started
        times = [t for r in results for t in r]
        rates[groups] = len(times) / elapsed
        print(line(f"{label}: {groups} group(s) at once", times, f"   {rates[groups]:6.0f} replies/s"))
    return rates


async def scenario_chatter(client: Client, messages: int) -> float:
    """Messages that are not commands, then one /查: the bot has taken them all when the
    reply comes (events are handled in order of arrival per connection)."""
    texts = ["今天发货了吗", "这个买家好像不太对劲", "哈哈", "收到", "明天见", "有人用过顺丰吗"]
    started = time.perf_counter()
    for i in range(messages):
        await client.event(texts[i % len(texts)], 7_000_000 + i % 200, 20_000 + i % 500)
    await client.ask(f"/查 {buyer_key(1)}", 7_000_999, 30_000, timeout=300)
    return messages / (time.perf_counter() - started)


def bot_env(data: Path, port: int, args: argparse.Namespace, extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "DRIVER": "~aiohttp",
        "ONEBOT_WS_URLS": json.dumps([f"ws://127.0.0.1:{port}/"]),
        "SHOP_GUARD_DATA_DIR": str(data / "storage"),
        "COMMAND_START": '["/"]',
        "LOOP_WATCH_REPORT_SECONDS": "1",
        "DOWNLOAD_ALLOW_HOSTS": '["127.0.0.1"]',
        "IDENTITY_HASH_SECRET": SECRET.decode(),
        **extra,
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


async def prepare_pool(args: argparse.Namespace, data: Path) -> None:
    from bot.storage.database import database, sqlite_url

    storage = data / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    await database.start(sqlite_url(storage))
    await database.stop()
    started = time.perf_counter()
    fill(storage / "shop_guard.sqlite3", args.buyers, args.reports, 5_000, 7)
    print(f"pool: {args.buyers:,} buyers, {args.reports:,} reports (filled in {time.perf_counter() - started:.0f} s)")


async def subscribe_groups(data: Path, count: int, at: datetime, database_url: str | None) -> str:
    """Subscribe `count` groups directly in the pool, their digest due at `at`."""
    import sqlite3

    local = (at + SHANGHAI_OFFSET).strftime("%H:%M")
    if database_url:
        import asyncpg

        connection = await asyncpg.connect(database_url)
        now = datetime.now(UTC)
        await connection.execute("DELETE FROM subscription")
        await connection.executemany(
            "INSERT INTO subscription (group_id, digest_time, active, delivery, subscribed_by, created_at, updated_at)"
            " VALUES ($1, $2, TRUE, 'ok', 'qq:1', $3, $3)",
            [(6_000_000 + i, local, now) for i in range(count)],
        )
        await connection.close()
        return local
    db = sqlite3.connect(data / "storage" / "shop_guard.sqlite3")
    stamp = datetime.now(UTC).isoformat(sep=" ")
    db.execute("DELETE FROM subscription")
    db.executemany(
        "INSERT INTO subscription (group_id, digest_time, active, delivery, subscribed_by, created_at, updated_at)"
        " VALUES (?, ?, 1, 'ok', 'qq:1', ?, ?)",
        ((6_000_000 + i, local, stamp, stamp) for i in range(count)),
    )
    db.commit()
    db.close()
    return local


async def run(args: argparse.Namespace) -> None:
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="shop-guard-load-"))
    data = workdir / "data"
    scenarios = set(args.scenarios.split(","))
    pristine = workdir / "pool.sqlite3"
    if not pristine.exists():
        await prepare_pool(args, data)
        shutil.copy(data / "storage" / "shop_guard.sqlite3", pristine)
    # Every run starts from the filled pool as it was: no outbox, jobs or subscriptions
    # left by an earlier run.
    if args.database_url:
        from postgres_pool import copy_pool

        await copy_pool(pristine, args.database_url)
    else:
        for leftover in (data / "storage").glob("shop_guard.sqlite3*"):
            leftover.unlink()
        shutil.copy(pristine, data / "storage" / "shop_guard.sqlite3")
    digest_at = None
    if "digest" in scenarios:
        # Due two minutes after start: the bot is warm, and the round starts on a tick.
        digest_at = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
        print(
            f"digest: {args.digest_groups} groups subscribed, due {await subscribe_groups(data, args.digest_groups, digest_at, args.database_url)} Beijing time"
        )
    export = workdir / "orders.csv"
    if "screening" in scenarios and not export.exists():
        make_export(export, args.export_rows, args.buyers, 11)

    port = args.port
    client = Client()
    runner = await serve(client, port, {"orders.csv": export})
    bot = Bot([sys.executable, "-m", "bot"], bot_env(data, port, args, {}), workdir / "bot.log")
    await bot.start()
    try:
        await asyncio.wait_for(client.connected.wait(), 120)
        await asyncio.sleep(1)
        await checks(client, args.buyers, count=50)  # warm up
        t0 = time.time()
        idle = await checks(client, args.buyers, count=args.checks)
        idle_stall = bot.worst_stall(t0, time.time())
        print(line("idle: /查 one at a time", idle, f"   worst loop stall {idle_stall:.0f} ms"))

        if "groups" in scenarios:
            rates = await scenario_groups(client, args.buyers, "bot")
        if "chatter" in scenarios:
            rate = await scenario_chatter(client, args.chatter)
            print(f"{'chatter (not commands)':<34} {rate:8.0f} messages/s   n={args.chatter:,}")
        if "screening" in scenarios:
            await client.ask("/绑定 淘宝 压测店", 9_000_500, 55_555)
            t0 = time.time()
            file = {
                "name": "orders.csv",
                "url": f"http://127.0.0.1:{port}/orders.csv",
                "file_size": export.stat().st_size,
            }
            await client.event("", None, 55_555, file=file)
            done = asyncio.Event()

            async def finished() -> None:
                while not any("订单筛查完成" in text or "没能筛查" in text for text in client.private):
                    await asyncio.sleep(0.2)
                done.set()

            watcher = asyncio.create_task(finished())
            during = await checks(client, args.buyers, stop=done)
            await watcher
            took = time.time() - t0
            stall = bot.worst_stall(t0, time.time())
            summary = next(t for t in client.private if "订单筛查完成" in t or "没能筛查" in t)
            print(f"screening {args.export_rows:,} rows took {took:.1f} s: {summary.splitlines()[0][:80]}")
            print(line("screening: /查 meanwhile", during, f"   worst loop stall {stall:.0f} ms"))
            print(f"  p99 ratio to idle {percentile(during, 0.99) / percentile(idle, 0.99):.2f}x (target <= 2x)")
        if "digest" in scenarios and digest_at is not None:
            wait = (digest_at - datetime.now(UTC)).total_seconds() - 2
            if wait > 0:
                await asyncio.sleep(wait)
            t0 = time.time()
            during = await checks(client, args.buyers, seconds=20)
            stall = bot.worst_stall(t0, time.time())
            queued = re.findall(r"queued (\d+) digests in ([\d.]+) s", bot.log.read_text(errors="replace"))
            print(
                f"digest round: {queued[-1][0] if queued else 0} digests queued in {queued[-1][1] if queued else '?'} s"
            )
            print(line("digest: /查 meanwhile", during, f"   worst loop stall {stall:.0f} ms"))
            print(f"  p99 ratio to idle {percentile(during, 0.99) / percentile(idle, 0.99):.2f}x (target <= 2x)")
        print(f"bot peak RSS {bot.peak_rss_mb():.0f} MB")
    finally:
        await bot.stop()
        await runner.cleanup()

    if "groups" in scenarios:
        await baseline(args, rates)
    print(f"workdir: {workdir}")


async def baseline(args: argparse.Namespace, rates: dict[int, float]) -> None:
    """The same /查 load against a bare NoneBot bot with one echo matcher."""
    client = Client()
    runner = await serve(client, args.port + 1, {})
    env = bot_env(Path(tempfile.mkdtemp()), args.port + 1, args, {})
    bare = Bot([sys.executable, str(ROOT / "bench" / "bare_bot.py")], env, Path(tempfile.mkdtemp()) / "bare.log")
    await bare.start()
    try:
        await asyncio.wait_for(client.connected.wait(), 60)
        await asyncio.sleep(1)
        await checks(client, args.buyers, count=50)
        base = await scenario_groups(client, args.buyers, "bare NoneBot (baseline)")
        for groups, rate in rates.items():
            print(f"  {groups} group(s): bot / bare throughput {rate / base[groups]:.2f}")
    finally:
        await bare.stop()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="idle,groups,chatter,screening,digest")
    parser.add_argument("--buyers", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--chatter", type=int, default=20_000)
    parser.add_argument("--export-rows", type=int, default=300_000)
    parser.add_argument("--digest-groups", type=int, default=500)
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--dir", help="reuse a work folder (its pool and export) from an earlier run")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
