"""Benchmark: POST /api/v1/check with 1,000 buyers against the 1,000,000-report pool,
through the real server over loopback, beside the same batch through the core
(Blacklist.check_many) in the same run; on PostgreSQL, then also the throughput of one
and of two `python -m bot web` processes sharing the database (issue #29).

    .venv/bin/python bench/api_bench.py                       # SQLite, full size (builds the pool)
    .venv/bin/python bench/api_bench.py --reports 100000 --buyers 20000 --calls 20
    .venv/bin/python bench/api_bench.py --database-url postgres://postgres@127.0.0.1:5432/api_bench

Targets: ≤ 150 ms per call; the API's overhead ≤ 1.5× the core batch (parsing, JSON,
the reasons and advice rendered in the chat's words, HTTP), as min/median/max of the
per-run medians over --runs runs. Peak RSS of every process is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import aiohttp
from check_bench import fill_in_child, percentile
from load_bench import Bot
from postgres_pool import load_pool

from bot.commands.requests import CheckRequest
from bot.errors import Refused
from bot.identity.platforms import Platform
from bot.pool import assemble
from bot.settings import Settings
from bot.storage.database import database, sqlite_url
from web import WebServer, create_app

SECRET = b"benchmark-secret-0123456789abcdef"
PLATFORMS = [p for p in Platform]


def payload(numbers: list[int]) -> dict[str, object]:
    return {
        "buyers": [{"platform": PLATFORMS[n % len(PLATFORMS)].value, "buyer_id": f"buyer_{n:07d}"} for n in numbers]
    }


def requests(numbers: list[int]) -> list[CheckRequest]:
    return [CheckRequest(PLATFORMS[n % len(PLATFORMS)], f"buyer_{n:07d}") for n in numbers]


def spread(label: str, values: list[float], unit: str) -> str:
    return f"{label:<44} min {min(values):8.2f}  median {statistics.median(values):8.2f}  max {max(values):8.2f} {unit}"


async def run(args: argparse.Namespace) -> None:
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="shop-guard-api-bench-"))
    if args.database_url:
        if not args.reuse:
            await load_pool(args.database_url, args.buyers, args.reports, 5_000)
        url = args.database_url
    else:
        fill_in_child(workdir, args.buyers, args.reports)
        with (workdir / "shop_guard.sqlite3").open("rb") as file:  # as in a running bot: pages cached
            while file.read(1 << 24):
                pass
        url = sqlite_url(workdir)
    await database.start(url)
    settings = Settings(api_calls_per_minute=1_000_000, web_host="127.0.0.1", web_port=args.port)
    pool = assemble(settings, workdir, SECRET, database.current_url)
    from bot.commands.grammar import parse_bind

    shop = (await pool.blacklist.bind("bench:api", parse_bind("淘宝 接口压测店"))).shop
    key = await pool.access.rotate_key(shop, "bench:api")
    server = WebServer(create_app(pool, settings, workdir), "127.0.0.1", args.port)
    await server.start()
    rng = random.Random(args.seed)

    def batch() -> list[int]:
        return [rng.randrange(args.buyers) for _ in range(args.batch)]

    headers = {"Authorization": f"Bearer {key}"}
    api_runs: list[float] = []
    core_runs: list[float] = []
    ratios: list[float] = []
    api_p99: list[float] = []
    flagged = 0
    async with aiohttp.ClientSession(headers=headers) as client:
        for _warm in range(3):
            numbers = batch()
            await pool.blacklist.check_many(requests(numbers))
            async with client.post(f"http://127.0.0.1:{args.port}/api/v1/check", json=payload(numbers)) as response:
                assert response.status == 200, await response.text()
                await response.read()
        for _run in range(args.runs):
            api_ms: list[float] = []
            core_ms: list[float] = []
            for _ in range(args.calls):
                numbers = batch()
                body = payload(numbers)
                t0 = time.perf_counter()
                results = [
                    r
                    for r in (await pool.blacklist.check_many(requests(numbers))).results
                    if not isinstance(r, Refused)
                ]
                t1 = time.perf_counter()
                async with client.post(f"http://127.0.0.1:{args.port}/api/v1/check", json=body) as response:
                    answer = await response.json()
                t2 = time.perf_counter()
                assert response.status == 200 and len(answer["results"]) == args.batch
                assert [r["level"] for r in answer["results"]] == [r.verdict.level.value for r in results]
                flagged += sum(1 for r in results if r.verdict.level.rank >= 2)
                core_ms.append((t1 - t0) * 1000)
                api_ms.append((t2 - t1) * 1000)
            api_runs.append(statistics.median(api_ms))
            core_runs.append(statistics.median(core_ms))
            ratios.append(api_runs[-1] / core_runs[-1])
            api_p99.append(percentile(api_ms, 0.99))
    await server.stop()
    await database.stop()
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"pool ({where}): {args.buyers:,} buyers, {args.reports:,} reports; {args.runs} runs of {args.calls} calls"
          f" of {args.batch:,} buyers; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"({flagged:,} of {args.runs * args.calls * args.batch:,} checked buyers came out 需警惕 or worse)")
    print(spread("POST /api/v1/check p50 (HTTP, JSON, words)", api_runs, "ms"))
    print(spread("POST /api/v1/check p99", api_p99, "ms"))
    print(spread("core check_many p50 (baseline, same run)", core_runs, "ms"))
    print(spread("ratio API/core (per-run medians)", ratios, "x"))
    print(f"target <= 150 ms per call: {'met' if max(api_p99) <= 150 else 'NOT met'} (p99, worst run)")
    print(
        f"target overhead <= 1.5x the core batch: {'met' if statistics.median(ratios) <= 1.5 else 'NOT met'} (median)"
    )
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.database_url:
        await web_processes(args, key)


async def calls(
    client: aiohttp.ClientSession,
    url: str,
    deadline: float,
    rng: random.Random,
    args: argparse.Namespace,
    most: int | None = None,
) -> int:
    """Calls of --batch buyers one after another until the deadline (or `most` of them)."""
    done = 0
    while (most is None and time.perf_counter() < deadline) or (most is not None and done < most):
        numbers = [rng.randrange(args.buyers) for _ in range(args.batch)]
        async with client.post(url, json=payload(numbers)) as response:
            assert response.status == 200, await response.text()
            await response.read()
        done += 1
    return done


async def web_processes(args: argparse.Namespace, key: str) -> None:
    """One, then two `python -m bot web` processes on the one PostgreSQL, as a shared
    deployment runs them: calls/s from --clients clients at once (alternating between the
    processes), for --seconds, in --runs windows."""
    rates: dict[int, list[float]] = {}
    for count in (1, 2):
        ports = [args.port + 10 + i for i in range(count)]
        processes = []
        for port in ports:
            data = Path(tempfile.mkdtemp(prefix="shop-guard-web-"))
            env = {
                **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IDENTITY_HASH_SECRET")},
                "DATABASE_URL": args.database_url,
                "IDENTITY_HASH_SECRET": SECRET.decode(),
                "SHOP_GUARD_DATA_DIR": str(data),
                "API_CALLS_PER_MINUTE": "1000000",
                "WEB_PUBLIC_URL": f"http://127.0.0.1:{port}",
            }
            process = Bot([sys.executable, "-m", "bot", "web", "--port", str(port)], env, data / "web.log")
            await process.start()
            processes.append(process)
        rng = random.Random(args.seed + count)
        try:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as client:
                for process, port in zip(processes, ports, strict=True):  # up, and warm
                    while "http://" not in process.log.read_text(errors="replace"):
                        await asyncio.sleep(0.2)
                    await calls(client, f"http://127.0.0.1:{port}/api/v1/check", 0, rng, args, most=3)
                rates[count] = []
                for _window in range(args.runs):
                    deadline = time.perf_counter() + args.seconds
                    started = time.perf_counter()
                    done = await asyncio.gather(
                        *(
                            calls(client, f"http://127.0.0.1:{ports[i % count]}/api/v1/check", deadline, rng, args)
                            for i in range(args.clients)
                        )
                    )
                    rates[count].append(sum(done) / (time.perf_counter() - started))
        finally:
            rss = [p.peak_rss_mb() for p in processes]
            for process in processes:
                await process.stop()
        print(spread(f"{count} web process(es): calls/s ({args.batch:,} buyers each)", rates[count], "/s"))
        print(f"  buyers checked per second (median) {statistics.median(rates[count]) * args.batch:,.0f};"
              f" peak RSS {', '.join(f'{r:.0f} MB' for r in rss)}")  # fmt: skip
    print(f"two processes / one (medians) {statistics.median(rates[2]) / statistics.median(rates[1]):.2f}x"
          f" on {os.cpu_count()} cores shared with PostgreSQL and this client")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL: the pool is loaded there, and web processes are measured")
    parser.add_argument("--reuse", action="store_true", help="the PostgreSQL pool of an earlier run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients for the web processes")
    parser.add_argument("--seconds", type=float, default=10, help="each web-process window")
    parser.add_argument("--dir", help="reuse a pool built by an earlier run (check_bench.py --fill-only)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
