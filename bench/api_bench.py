"""Benchmark: POST /api/v1/check with 1,000 buyers against the 1,000,000-report pool,
through the real server over loopback, beside the same batch through the core
(Blacklist.check_many) in the same run.

    .venv/bin/python bench/api_bench.py                       # full size (builds the pool)
    .venv/bin/python bench/api_bench.py --reports 100000 --buyers 20000 --calls 20

Targets: ≤ 150 ms per call; the API's overhead ≤ 1.5× the core batch (parsing, JSON,
the reasons and advice rendered in the chat's words, HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import random
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

from bot.commands.requests import CheckRequest
from bot.errors import Refused
from bot.identity.platforms import Platform
from bot.pool import assemble
from bot.settings import Settings
from bot.storage.database import database, sqlite_url
from web import WebServer, create_app

SECRET = b"benchmark-secret-0123456789abcdef"
PLATFORMS = [p for p in Platform]


async def run(args: argparse.Namespace) -> None:
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="shop-guard-api-bench-"))
    fill_in_child(workdir, args.buyers, args.reports)
    with (workdir / "shop_guard.sqlite3").open("rb") as file:  # as in a running bot: pages cached
        while file.read(1 << 24):
            pass
    await database.start(sqlite_url(workdir))
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

    def payload(numbers: list[int]) -> dict[str, object]:
        return {
            "buyers": [{"platform": PLATFORMS[n % len(PLATFORMS)].value, "buyer_id": f"buyer_{n:07d}"} for n in numbers]
        }

    def requests(numbers: list[int]) -> list[CheckRequest]:
        return [CheckRequest(PLATFORMS[n % len(PLATFORMS)], f"buyer_{n:07d}") for n in numbers]

    api_ms: list[float] = []
    core_ms: list[float] = []
    flagged = 0
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers) as client:
        for _warm in range(3):
            numbers = batch()
            await pool.blacklist.check_many(requests(numbers))
            async with client.post(f"http://127.0.0.1:{args.port}/api/v1/check", json=payload(numbers)) as response:
                assert response.status == 200, await response.text()
                await response.read()
        for _ in range(args.calls):
            numbers = batch()
            body = payload(numbers)
            t0 = time.perf_counter()
            results = [
                r for r in (await pool.blacklist.check_many(requests(numbers))).results if not isinstance(r, Refused)
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
    await server.stop()
    await database.stop()
    a50, a99 = statistics.median(api_ms), percentile(api_ms, 0.99)
    c50, c99 = statistics.median(core_ms), percentile(core_ms, 0.99)
    print(f"pool: {args.buyers:,} buyers, {args.reports:,} reports; {args.calls} calls of {args.batch:,} buyers")
    print(f"({flagged:,} of {args.calls * args.batch:,} checked buyers came out 需警惕 or worse)")
    print(f"POST /api/v1/check (HTTP, JSON, words)   p50 {a50:7.1f} ms   p99 {a99:7.1f} ms")
    print(f"core check_many (baseline, same run)     p50 {c50:7.1f} ms   p99 {c99:7.1f} ms")
    print(f"ratio API/core                           p50 {a50 / c50:7.2f} x   p99 {a99 / c99:7.2f} x")
    print(f"target <= 150 ms per call: {'met' if a99 <= 150 else 'NOT met'} (p99)")
    print(f"target overhead <= 1.5x the core batch: {'met' if a50 / c50 <= 1.5 else 'NOT met'} (p50)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dir", help="reuse a pool built by an earlier run (check_bench.py --fill-only)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
