"""Facts about the deployment (the fingerprint key's check value), and what the backup
and the key guard need to know of the pool: whether it holds anything at all, and how
many stored fingerprints a wrong key would silently stop matching."""

from __future__ import annotations

from datetime import datetime

from bot.storage._sql import execute, is_postgres, select

# The check value of the fingerprint key (bot.identity.fingerprints.key_check).
IDENTITY_KEY_CHECK = "identity_key_check"


async def fact_of(name: str) -> str | None:
    rows = await select("SELECT value FROM deployment_fact WHERE name = :name", name=name)
    return str(rows[0][0]) if rows else None


async def record_fact_once(name: str, value: str, now: datetime) -> str:
    """Record the fact unless it is known already; the value the pool keeps, so that two
    processes starting at once with different keys cannot both record theirs."""
    await execute(
        "INSERT INTO deployment_fact (name, value, recorded_at) VALUES (:name, :value, :now)"
        " ON CONFLICT (name) DO NOTHING",
        name=name,
        value=value,
        now=now,
    )
    kept = await fact_of(name)
    assert kept is not None  # inserted now or before
    return kept


async def replace_fact(name: str, value: str, now: datetime) -> None:
    """A restore brings the backup's facts with its database; a key moved on purpose
    (restore --force with the backup's key) records the new check value."""
    await execute("DELETE FROM deployment_fact WHERE name = :name", name=name)
    await execute(
        "INSERT INTO deployment_fact (name, value, recorded_at) VALUES (:name, :value, :now)",
        name=name,
        value=value,
        now=now,
    )


async def fingerprint_count() -> int:
    """Reports that carry a phone or address hash: what a different key stops matching."""
    rows = await select("SELECT count(*) FROM report WHERE phone_hash IS NOT NULL OR address_hash IS NOT NULL")
    return int(rows[0][0])


async def has_tables() -> bool:
    """The database holds the pool's tables (a new, empty one does not)."""
    if is_postgres():
        rows = await select("SELECT to_regclass('shop') IS NOT NULL")
        return bool(rows[0][0])
    return bool(await select("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shop'"))


async def pool_size() -> dict[str, int]:
    """Shops, buyers and reports in the pool (a restore refuses to overwrite a pool that
    holds any without --force)."""
    rows = await select(
        "SELECT (SELECT count(*) FROM shop), (SELECT count(*) FROM buyer), (SELECT count(*) FROM report)"
    )
    shops, buyers, reports = (int(value) for value in rows[0])
    return {"shops": shops, "buyers": buyers, "reports": reports}
