"""The benchmarks' pool on PostgreSQL: the SQLite pool check_bench.py fills, copied into a
fresh PostgreSQL database whose schema the migrations made (the same rows, so that both
databases are measured on the same data).

    .venv/bin/python bench/postgres_pool.py POOL.sqlite3 postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# What check_bench.fill writes; every other column keeps its database default.
TABLES = {
    "shop": ("id", "owner", "platform", "name", "name_key", "verified_at", "roots", "created_at", "updated_at"),
    "buyer": ("id", "platform", "buyer_key", "created_at", "alerted"),
    "report": ("id", "shop_id", "buyer_id", "category", "order_no", "amount_fen", "description", "phone_hash",
               "phone_mask", "address_hash", "address_mask", "dedup_key", "created_at", "retracted_at"),
}  # fmt: skip
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


if __name__ == "__main__":
    asyncio.run(copy_pool(Path(sys.argv[1]), sys.argv[2]))
