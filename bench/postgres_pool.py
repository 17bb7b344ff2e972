"""The benchmarks' pool on PostgreSQL, in a fresh database whose schema the migrations
made: either the SQLite pool check_bench.py fills, copied (the same rows, so that both
databases are measured on the same data), or check_bench's rows loaded straight in
(scale_bench.py's 10,000,000 reports, which a SQLite file in between would double).

    .venv/bin/python bench/postgres_pool.py POOL.sqlite3 postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/postgres_pool.py --reports 10000000 --buyers 2000000 postgres://…/bench
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

sys.path.insert(0, str(HERE))

# What check_bench.fill writes; every other column keeps its database default.
from check_bench import COLUMNS as TABLES
from check_bench import pool_rows

BATCH = 50_000


def _converter(data_type: str) -> Any:
    if data_type.startswith("timestamp"):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if data_type == "boolean":
        return lambda value: None if value is None else bool(value)
    return lambda value: value


async def recreate(url: str) -> None:
    """Drop and create the database named in the URL (through the server's `postgres`)."""
    import asyncpg

    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def copy_pool(sqlite_path: Path, url: str) -> None:
    import asyncpg

    from bot.storage.database import database

    started = time.perf_counter()
    await recreate(url)
    await database.start(url)  # the schema, by the migrations
    await database.stop()
    source = sqlite3.connect(sqlite_path)
    target = await asyncpg.connect(url)
    try:
        for table, columns in TABLES.items():
            types = dict(
                await target.fetch(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1", table
                )
            )
            convert = [_converter(types[column]) for column in columns]
            cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table}")
            copied = 0
            while rows := cursor.fetchmany(BATCH):
                records = [tuple(c(v) for c, v in zip(convert, row, strict=True)) for row in rows]
                await target.copy_records_to_table(table, records=records, columns=list(columns))
                copied += len(records)
            await target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            print(f"  {table}: {copied:,} rows")
        await target.execute("ANALYZE")
    finally:
        await target.close()
        source.close()
    print(f"PostgreSQL pool copied in {time.perf_counter() - started:.0f} s")


async def load_pool(url: str, buyers: int, reports: int, shops: int, seed: int = 7) -> None:
    """check_bench's pool generated straight into a fresh database. The report table's
    indexes are dropped for the load and built again after it: building an index once
    is several times faster than keeping it up to date row by row."""
    import asyncpg

    from bot.storage.database import database

    started = time.perf_counter()
    await recreate(url)
    await database.start(url)
    await database.stop()
    target = await asyncpg.connect(url)
    try:
        indexes = await target.fetch(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = 'report' AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
        constraints = await target.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = 'report'::regclass AND contype IN ('u', 'f')"
        )
        for constraint in constraints:
            await target.execute(f'ALTER TABLE report DROP CONSTRAINT "{constraint["conname"]}"')
        for index in indexes:
            await target.execute(f'DROP INDEX "{index["indexname"]}"')
        for table, rows in pool_rows(buyers, reports, shops, seed).items():
            copied = 0
            while batch := list(itertools.islice(rows, BATCH)):
                await target.copy_records_to_table(table, records=batch, columns=list(TABLES[table]))
                copied += len(batch)
                if copied % 1_000_000 == 0:
                    print(f"  {table}: {copied:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
            await target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            print(f"  {table}: {copied:,} rows", flush=True)
        for index in indexes:
            await target.execute(index["indexdef"])
        for constraint in constraints:
            await target.execute(
                f'ALTER TABLE report ADD CONSTRAINT "{constraint["conname"]}" {constraint["definition"]}'
            )
        await target.execute("ANALYZE")
    finally:
        await target.close()
    print(f"PostgreSQL pool loaded in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", help="a SQLite pool to copy (otherwise one is generated)")
    parser.add_argument("url")
    parser.add_argument("--buyers", type=int, default=2_000_000)
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--shops", type=int, default=20_000)
    args = parser.parse_args()
    if args.source:
        asyncio.run(copy_pool(Path(args.source), args.url))
    else:
        asyncio.run(load_pool(args.url, args.buyers, args.reports, args.shops))


if __name__ == "__main__":
    main()
