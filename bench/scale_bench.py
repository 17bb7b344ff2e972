"""Scale-out (issue #29): 1, 2 and 4 bot processes (`python -m bot`), each with its own QQ
account over its own OneBot v11 connection (this script plays every QQ client), on one
PostgreSQL holding a 10,000,000-report pool and 10,000 subscribed groups spread over the
accounts (one group in twenty listed by two accounts, as when two of the bot's accounts
sit in one big sellers' group).

    .venv/bin/python bench/scale_bench.py                       # full size (loads the pool: ~10 min)
    .venv/bin/python bench/scale_bench.py --reuse               # the pool of an earlier run
    .venv/bin/python bench/scale_bench.py --reports 1000000 --buyers 200000 --groups 2000

For each process count it prints:
  /查         replies/s of all processes together and p99, from 50 groups per process at
              once, in --windows windows (min/median/max), beside as many bare NoneBot
              bots (bench/bare_bot.py) measured the same way in the same run;
  alert       one alert to every subscribed group: the time to queue it (one statement),
              each group getting it exactly once and from an account that is in it, the
              drain rate against the configured pace; with 2 processes one is killed
              (SIGKILL) mid-drain and started again, and double sends are counted;
  digest      a digest round for every subscribed group: the longest queueing time of
              the processes (every process runs the round; each group's digest of the day
              has one outbox key, so it is queued once);
  RSS         the peak RSS of each bot process.
Before them: check p50/p99 through the core on the pool (Blacklist.check), beside one raw
indexed SELECT of the same buyer (baseline), and the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from check_bench import PLATFORMS, SECRET, buyer_key, percentile
from load_bench import Bot, Client, checks
from postgres_pool import load_pool

ACCOUNT = 3_100_000_000  # the first QQ account's number; the next ones follow
FIRST_GROUP = 6_000_000
SHANGHAI = timedelta(hours=8)


def spread(groups: int, accounts: int) -> list[list[int]]:
    """Group i is in account i % accounts; one group in twenty is in the next account too."""
    lists: list[list[int]] = [[] for _ in range(accounts)]
    for i in range(groups):
        lists[i % accounts].append(FIRST_GROUP + i)
        if accounts > 1 and i % 20 == 0:
            lists[(i + 1) % accounts].append(FIRST_GROUP + i)
    return lists


async def sql(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def reset(url: str, groups: int) -> None:
    """No outbox, no group senders; `groups` subscriptions, digest not due."""
    now = datetime.now(UTC).isoformat()
    await sql(
        url,
        "DELETE FROM outbox",
        "DELETE FROM group_sender",
        "DELETE FROM subscription",
        "INSERT INTO subscription (group_id, digest_time, digest_enabled, alert_level, read_screenshots, active,"
        " delivery, subscribed_by, created_at, updated_at)"
        f" SELECT {FIRST_GROUP} + i, '04:00', TRUE, '高风险', FALSE, TRUE, 'ok', 'qq:1', '{now}', '{now}'"
        f" FROM generate_series(0, {groups - 1}) AS i",
    )


def env_for(args: argparse.Namespace, port: int, data: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IDENTITY_HASH_SECRET")},
        "DRIVER": "~aiohttp",
        "ONEBOT_WS_URLS": json.dumps([f"ws://127.0.0.1:{port}/"]),
        "SHOP_GUARD_DATA_DIR": str(data),
        "DATABASE_URL": args.database_url,
        "IDENTITY_HASH_SECRET": SECRET.decode(),
        "COMMAND_START": '["/"]',
        "LOOP_WATCH_REPORT_SECONDS": "1",
        "WEB_ENABLED": "false",
        "SEND_INTERVAL_SECONDS": "0",
        "SEND_GLOBAL_INTERVAL_SECONDS": str(args.pace),
    }


async def serve(client: Client, port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_get("/", client.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


class Fleet:
    """k processes, bot or bare, each with its account's client."""

    def __init__(self, args: argparse.Namespace, k: int, bare: bool, workdir: Path):
        self.args, self.k, self.bare = args, k, bare
        self.lists = spread(args.groups, k)
        self.clients = [Client(ACCOUNT + j, self.lists[j]) for j in range(k)]
        self.ports = [args.port + j for j in range(k)]
        self.bots: list[Bot] = []
        self.runners: list[web.AppRunner] = []
        self.workdir = workdir / ("bare" if bare else "bot") / str(k)

    def command(self) -> list[str]:
        return [sys.executable, str(HERE / "bare_bot.py")] if self.bare else [sys.executable, "-m", "bot"]

    async def start_one(self, j: int) -> None:
        data = self.workdir / f"p{j}"
        data.mkdir(parents=True, exist_ok=True)
        bot = Bot(self.command(), env_for(self.args, self.ports[j], data), data / f"bot-{len(self.bots)}.log")
        self.clients[j].connected.clear()
        await bot.start()
        await asyncio.wait_for(self.clients[j].connected.wait(), 120)
        if not self.bare:  # its group list read and written
            while "sends to" not in bot.log.read_text(errors="replace"):
                await asyncio.sleep(0.2)
        if j < len(self.bots):
            self.bots[j] = bot
        else:
            self.bots.append(bot)

    async def start(self) -> None:
        for j in range(self.k):
            self.runners.append(await serve(self.clients[j], self.ports[j]))
        for j in range(self.k):
            await self.start_one(j)
        await asyncio.sleep(1)

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.stop()
        for runner in self.runners:
            await runner.cleanup()

    def served(self, j: int) -> list[int]:
        """Groups only account j is in (it answers there whichever account serves shared ones)."""
        shared = {g for i, groups in enumerate(self.lists) if i != j for g in groups}
        return [g for g in self.lists[j] if g not in shared]


async def load(fleet: Fleet, seconds: float, per_process: int) -> tuple[float, float, list[float]]:
    """/查 from per_process groups of every process at once for `seconds`: replies/s of all
    processes together, p99 over all replies, p99 per process."""
    buyers = fleet.args.buyers
    started = time.perf_counter()
    jobs = [
        checks(client, buyers, seconds=seconds, group_id=group)
        for j, client in enumerate(fleet.clients)
        for group in fleet.served(j)[:per_process]
    ]
    results = await asyncio.gather(*jobs)
    elapsed = time.perf_counter() - started
    everything = [t for r in results for t in r]
    per = [
        percentile([t for r in results[j * per_process : (j + 1) * per_process] for t in r], 0.99)
        for j in range(fleet.k)
    ]
    return len(everything) / elapsed, percentile(everything, 0.99), per


def spread_line(label: str, values: list[float], unit: str, digits: int = 0) -> str:
    return (
        f"{label:<46} min {min(values):8.{digits}f}  median {statistics.median(values):8.{digits}f}"
        f"  max {max(values):8.{digits}f} {unit}"
    )


async def alert_round(fleet: Fleet, url: str, kill: bool) -> None:
    """One alert to every subscribed group, queued the way a report that crosses 高风险
    queues it; delivered by the processes at the configured pace."""
    from bot.storage.database import database
    from bot.storage.outbox import enqueue_alert

    groups = fleet.args.groups
    await database.start(url)
    t0 = time.perf_counter()
    queued = await enqueue_alert(
        "高风险", 1, "alert:bench", "⚠️【高风险买家预警】压测 · 淘宝 · bu*******01", datetime.now(UTC)
    )
    queue_s = time.perf_counter() - t0
    await database.stop()
    print(f"  alert queued for {queued:,} groups in {queue_s * 1000:.0f} ms")
    started = time.perf_counter()
    killed_at = None
    deadline = started + fleet.args.drain_timeout
    last, changed = -1, started
    plateau: tuple[float, int] | None = None
    while time.perf_counter() < deadline:
        got = sum(len(c.alerts) for c in fleet.clients)
        if got != last:
            last, changed = got, time.perf_counter()
        elif killed_at is not None and plateau is None and time.perf_counter() - changed > 10:
            plateau = (changed - started, got)
        if kill and killed_at is None and got >= groups * 0.3:
            victim = fleet.bots[1]
            assert victim.process is not None
            victim.process.send_signal(signal.SIGKILL)
            await victim.process.wait()
            killed_at = (time.perf_counter() - started, got)
            print(f"  process 2 killed (SIGKILL) after {killed_at[0]:.1f} s, {got:,} groups had it; started again")
            await fleet.start_one(1)
        if len({g for c in fleet.clients for g in c.alerts}) >= groups:
            break
        await asyncio.sleep(0.2)
    took = time.perf_counter() - started
    counts: Counter[int] = Counter()
    wrong = 0
    for client, listed in zip(fleet.clients, fleet.lists, strict=True):
        for group, n in client.alerts.items():
            counts[group] += n
            wrong += group not in listed
    missing = groups - len(counts)
    doubled = sum(1 for n in counts.values() if n > 1)
    pace = fleet.k / fleet.args.pace
    print(
        f"  drained in {took:.1f} s: {len(counts):,} groups got it, {missing:,} did not, {doubled:,} twice,"
        f" {wrong:,} from an account not in the group"
    )
    print(
        f"  drain rate {len(counts) / took:,.0f} groups/s against the configured pace of {pace:,.0f}/s"
        f" ({fleet.k} account(s) x 1/{fleet.args.pace} s); at QQ's default pace (0.2 s per account)"
        f" {groups:,} groups take {groups * 0.2 / fleet.k / 60:.0f} min"
    )
    if plateau is not None:
        print(
            f"  {plateau[1]:,} groups had it after {plateau[0]:.1f} s; the rest were claimed by the killed process"
            " and waited out their 120 s lease, then went out once"
        )


async def digest_round(fleet: Fleet, url: str) -> None:
    """Every subscription due at the next minute: every process runs the round."""
    at = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    local = (at + SHANGHAI).strftime("%H:%M")
    await sql(url, f"UPDATE subscription SET digest_time = '{local}', last_digest_at = NULL")
    for bot in fleet.bots:
        bot.mark = len(bot.log.read_text(errors="replace"))  # type: ignore[attr-defined]
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
    deadline = time.perf_counter() + 240
    rounds: list[tuple[int, float]] = []
    while time.perf_counter() < deadline:
        rounds = []
        for bot in fleet.bots:
            found = re.findall(r"queued (\d+) digests in ([\d.]+) s", bot.log.read_text(errors="replace")[bot.mark :])  # type: ignore[attr-defined]
            rounds += [(int(n), float(s)) for n, s in found]
        if sum(n for n, _ in rounds) >= fleet.args.groups:
            break
        await asyncio.sleep(1)
    import asyncpg

    connection = await asyncpg.connect(url)
    stored = await connection.fetchval("SELECT count(*) FROM outbox WHERE kind = 'digest'")
    await connection.close()
    worst = max((s for _, s in rounds), default=float("nan"))
    print(
        f"  digest round: {stored:,} digests queued (one per group); each process queues its accounts' groups:"
        f" {', '.join(f'{n:,} in {s:.1f} s' for n, s in rounds) or 'none logged'} (the longest {worst:.1f} s)"
    )


async def core_checks(url: str, buyers: int, count: int) -> None:
    from tortoise.connection import get_connection

    from bot.blacklist.blacklist import Blacklist
    from bot.commands.requests import CheckRequest
    from bot.identity.fingerprints import Fingerprinter
    from bot.identity.platforms import Platform
    from bot.storage.database import database

    await database.start(url)
    connection = get_connection("default")
    blacklist = Blacklist(Fingerprinter(SECRET))
    rng = random.Random(5)
    targets = [rng.randrange(buyers) for _ in range(count)]
    check_ms, raw_ms = [], []
    for i, n in enumerate(targets):
        request = CheckRequest(Platform(PLATFORMS[n % len(PLATFORMS)]), buyer_key(n))
        t0 = time.perf_counter()
        await blacklist.check(request)
        t1 = time.perf_counter()
        await connection.execute_query("SELECT shop_id, category, created_at FROM report WHERE buyer_id = $1", [n + 1])
        t2 = time.perf_counter()
        if i >= 200:  # the first ones warm the server's cache
            check_ms.append((t1 - t0) * 1000)
            raw_ms.append((t2 - t1) * 1000)
    await database.stop()
    print(
        f"check on the pool (core)   p50 {statistics.median(check_ms):6.2f} ms   p99 {percentile(check_ms, 0.99):6.2f} ms"
    )
    print(
        f"raw indexed SELECT         p50 {statistics.median(raw_ms):6.2f} ms   p99 {percentile(raw_ms, 0.99):6.2f} ms"
        "   (baseline)"
    )


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="shop-guard-scale-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if not args.reuse:
        await load_pool(args.database_url, args.buyers, args.reports, args.shops)
    print(f"pool: {args.buyers:,} buyers, {args.reports:,} reports; {args.groups:,} subscribed groups")
    await core_checks(args.database_url, args.buyers, args.checks)
    counts = [int(k) for k in args.processes.split(",")]
    bare_rates: dict[int, list[float]] = {}
    bare_p99: dict[int, list[float]] = {}
    for k in counts:
        fleet = Fleet(args, k, bare=True, workdir=workdir)
        await fleet.start()
        try:
            await load(fleet, 3, args.load_groups)  # warm-up: caches, first plans
            windows = [await load(fleet, args.seconds, args.load_groups) for _ in range(args.windows)]
        finally:
            await fleet.stop()
        bare_rates[k] = [w[0] for w in windows]
        bare_p99[k] = [w[1] for w in windows]
    for k in counts:
        print(f"\n== {k} bot process(es), {k} QQ account(s), load average {os.getloadavg()[0]:.1f}")
        await reset(args.database_url, args.groups)
        fleet = Fleet(args, k, bare=False, workdir=workdir)
        await fleet.start()
        try:
            await load(fleet, 3, args.load_groups)  # warm-up: caches, first plans
            windows = [await load(fleet, args.seconds, args.load_groups) for _ in range(args.windows)]
            rates = [w[0] for w in windows]
            print(spread_line(f"/查 replies/s, {k * args.load_groups} groups at once", rates, "/s"))
            print(spread_line("   bare NoneBot, as many processes", bare_rates[k], "/s"))
            print(spread_line("   per core (÷ 2)", [r / 2 for r in rates], "/s"))
            print(spread_line("/查 p99 over all replies", [w[1] for w in windows], "ms"))
            print(spread_line("   bare NoneBot", bare_p99[k], "ms"))
            print(f"  p99 per process (last window): {', '.join(f'{p:.0f} ms' for p in windows[-1][2])}")
            print(
                f"  bot / bare throughput (medians) {statistics.median(rates) / statistics.median(bare_rates[k]):.2f}"
            )
            await alert_round(fleet, args.database_url, kill=k == 2)
            await digest_round(fleet, args.database_url)
            print(f"  peak RSS per process: {', '.join(f'{b.peak_rss_mb():.0f} MB' for b in fleet.bots)}")
        finally:
            await fleet.stop()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end; work folder {workdir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/scale_bench")
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--buyers", type=int, default=2_000_000)
    parser.add_argument("--shops", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=10, help="each /查 load window")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--load-groups", type=int, default=50, help="groups sending /查 at once, per process")
    parser.add_argument("--checks", type=int, default=3_000)
    parser.add_argument("--pace", type=float, default=0.005, help="SEND_GLOBAL_INTERVAL_SECONDS for the drain")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--port", type=int, default=19_100)
    parser.add_argument("--reuse", action="store_true", help="the pool of an earlier run is in the database")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
