"""Benchmark: one /查 through the core on a pool of 200,000 buyers and 1,000,000 reports.

    .venv/bin/python bench/check_bench.py            # SQLite, full size
    .venv/bin/python bench/check_bench.py --reports 100000 --buyers 20000   # quicker

Prints the check latency (p50/p99, through bot.blacklist.Blacklist.check: buyer lookup,
own reports, linked accounts by phone/address hash, verdict) next to a baseline measured
in the same run on the same connection: one raw indexed SELECT of the same buyer's
reports. Target: check p99 ≤ 5 ms on SQLite at full size. Also prints peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.blacklist.blacklist import Blacklist
from bot.commands.requests import CheckRequest
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.scoring.categories import Category
from bot.storage.database import database, sqlite_url

SECRET = b"benchmark-secret-0123456789abcdef"
CATEGORIES = [c.value for c in Category]
PLATFORMS = [p.value for p in Platform]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def buyer_key(n: int) -> str:
    return f"buyer_{n:07d}"


# The columns pool_rows() gives, per table, in order.
COLUMNS = {
    "shop": ("id", "owner", "platform", "name", "name_key", "verified_at", "roots", "created_at", "updated_at"),
    "buyer": ("id", "platform", "buyer_key", "created_at", "alerted"),
    "report": ("id", "shop_id", "buyer_id", "category", "order_no", "amount_fen", "description", "phone_hash",
               "phone_mask", "address_hash", "address_mask", "dedup_key", "created_at", "retracted_at"),
}  # fmt: skip


def pool_rows(buyers: int, reports: int, shops: int, seed: int) -> dict[str, Iterator[tuple]]:
    """The benchmark pool, table by table, as rows of COLUMNS (datetimes aware, in UTC):
    the same pool whichever database it is loaded into."""
    rng = random.Random(seed)
    fp = Fingerprinter(SECRET)
    now = datetime.now(UTC)
    # A phone pool smaller than the buyer count, so that some accounts share a phone.
    phone_pool = [
        fp.phone(f"13{rng.randrange(3, 10)}{rng.randrange(10**8):08d}") for _ in range(max(1, buyers * 3 // 4))
    ]
    address_pool = [
        fp.address(f"浙江省杭州市西湖区文{n}路{rng.randrange(1, 999)}号") for n in range(max(1, buyers // 2))
    ]
    # Verified shops, as a pool of real merchants would be (their reports with an order
    # number count towards 高风险), vouched for by 200 group admins in 200 groups.
    shop_rows = (
        (i + 1, f"qq:{i + 1}", "taobao", f"店{i + 1}", f"店{i + 1}", now, f"qq:{9000 + i % 200}@{800000 + i % 200}",
         now, now)
        for i in range(shops)
    )  # fmt: skip
    buyer_rows = ((i + 1, PLATFORMS[i % len(PLATFORMS)], buyer_key(i), now, False) for i in range(buyers))

    def report_rows() -> Iterator[tuple]:
        for i in range(reports):
            buyer = rng.randrange(buyers) + 1
            phone = phone_pool[rng.randrange(len(phone_pool))] if rng.random() < 0.3 else None
            address = address_pool[rng.randrange(len(address_pool))] if rng.random() < 0.2 else None
            yield (
                i + 1,
                rng.randrange(shops) + 1,
                buyer,
                rng.choice(CATEGORIES),
                f"37200{i:014d}",
                None,
                "",
                phone.digest if phone else None,
                phone.mask if phone else None,
                address.digest if address else None,
                address.mask if address else None,
                f"order:37200{i:014d}",
                now - timedelta(days=rng.random() * 720),
                None,
            )

    return {"shop": shop_rows, "buyer": buyer_rows, "report": report_rows()}


def fill(path: Path, buyers: int, reports: int, shops: int, seed: int) -> None:
    """Bulk-load through sqlite3 into the schema the migrations made: the ORM would take
    minutes for a million rows and is not what is being measured."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")

    def stored(value: object) -> object:  # as Tortoise writes datetimes into SQLite
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value

    for table, rows in pool_rows(buyers, reports, shops, seed).items():
        columns = COLUMNS[table]
        db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (tuple(stored(v) for v in row) for row in rows),
        )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def fill_in_child(workdir: Path, buyers: int, reports: int) -> None:
    """The pool in workdir, unless it is there already; filled by this script in a child
    process, so that the filling's memory is not counted in the caller's peak RSS."""
    if not (workdir / "shop_guard.sqlite3").exists():
        subprocess.run(
            [sys.executable, __file__, "--fill-only", "--dir", str(workdir), "--buyers", str(buyers),
             "--reports", str(reports)],
            check=True,
        )  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="shop-guard-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "shop_guard.sqlite3"
    for leftover in workdir.glob("shop_guard.sqlite3*"):
        leftover.unlink()

    await database.start(sqlite_url(workdir))  # migrations make the schema
    await database.stop()
    started = time.perf_counter()
    fill(path, args.buyers, args.reports, args.shops, args.seed)
    print(
        f"filled {args.buyers:,} buyers, {args.reports:,} reports, {args.shops:,} shops in {time.perf_counter() - started:.1f} s"
    )
    if args.fill_only:
        print(f"database: {path}")
        return

    await database.start(sqlite_url(workdir))
    from tortoise.connection import get_connection

    connection = get_connection("default")
    blacklist = Blacklist(Fingerprinter(SECRET))
    rng = random.Random(args.seed + 1)
    targets = [rng.randrange(args.buyers) for _ in range(args.checks)]
    raw_sql = "SELECT shop_id, category, created_at FROM report WHERE buyer_id = ? AND state = 'active'"

    for n in targets[:200]:  # warm the page cache and the ORM's compiled queries
        await blacklist.check(CheckRequest(Platform(PLATFORMS[n % len(PLATFORMS)]), buyer_key(n)))
        await connection.execute_query(raw_sql, [n + 1])

    check_ms: list[float] = []
    raw_ms: list[float] = []
    high = 0
    for n in targets:
        request = CheckRequest(Platform(PLATFORMS[n % len(PLATFORMS)]), buyer_key(n))
        t0 = time.perf_counter()
        result = await blacklist.check(request)
        t1 = time.perf_counter()
        await connection.execute_query(raw_sql, [n + 1])
        t2 = time.perf_counter()
        check_ms.append((t1 - t0) * 1000)
        raw_ms.append((t2 - t1) * 1000)
        high += result.verdict.level.rank >= 3
    await database.stop()

    c50, c99 = statistics.median(check_ms), percentile(check_ms, 0.99)
    r50, r99 = statistics.median(raw_ms), percentile(raw_ms, 0.99)
    print(f"checks: {len(targets):,} buyers ({high:,} came out 高风险 or worse)")
    print(f"check (core)        p50 {c50:6.3f} ms   p99 {c99:6.3f} ms")
    print(f"raw indexed SELECT  p50 {r50:6.3f} ms   p99 {r99:6.3f} ms   (baseline)")
    print(f"ratio check/raw     p50 {c50 / r50:6.1f} x    p99 {c99 / r99:6.1f} x")
    print(f"peak RSS {rss_mb():.0f} MB")
    print(f"target p99 <= 5 ms: {'met' if c99 <= 5 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=5_000)
    parser.add_argument("--checks", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", help="where to build the database (default: a new temporary folder)")
    parser.add_argument(
        "--fill-only", action="store_true", help="build the database and stop (used by screen_bench.py)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
