"""Test set-up.

One session event loop (pyproject: asyncio_default_*_loop_scope = session), because
Tortoise's connections belong to the loop that opened them. NoneBot is initialised by
nonebug with the project's plugins loaded in after_nonebot_init; their on_startup opens
the session database (a SQLite file in a temporary data folder).

Core tests that touch the database take the `pool` fixture, which runs them once on a
fresh SQLite file and once on PostgreSQL (required when CI=true, skipped otherwise if
the server is down), then puts the session database back.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import nonebot
import pytest
from nonebug import NONEBOT_INIT_KWARGS

from bot.blacklist import Blacklist
from bot.database import database, sqlite_url
from bot.identity import Fingerprinter

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(tempfile.mkdtemp(prefix="shop-guard-test-"))
SESSION_DB = sqlite_url(DATA_DIR / "session")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
POSTGRES_TEST_DB = "shop_guard_test"
SECRET = b"test-secret-0123456789abcdef"


def pytest_configure(config: pytest.Config) -> None:
    (DATA_DIR / "session").mkdir(parents=True, exist_ok=True)
    config.stash[NONEBOT_INIT_KWARGS] = {
        "driver": "~none",
        "log_level": "INFO",
        "command_start": ["/"],
        "database_url": SESSION_DB,
        "localstore_data_dir": str(DATA_DIR / "localstore"),
        "identity_hash_secret": SECRET.decode(),
        "outbox_sender": False,
    }


@pytest.fixture(scope="session", autouse=True)
async def after_nonebot_init(_nonebot_init: None) -> None:
    from nonebot.adapters.onebot.v11 import Adapter as OneBotV11

    # Not the console adapter: it would open its terminal UI on startup.
    nonebot.get_driver().register_adapter(OneBotV11)
    os.chdir(ROOT)
    nonebot.load_plugins("plugins")


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def _postgres_url(database_name: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database_name}"


async def _fresh_postgres() -> str:
    import asyncpg

    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL is required in CI and is not reachable: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable ({exc}); CI runs these")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_TEST_DB} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {POSTGRES_TEST_DB}")
    finally:
        await admin.close()
    return _postgres_url(POSTGRES_TEST_DB)


@pytest.fixture(params=["sqlite", "postgres"])
async def pool(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Swap the process database for a fresh one of the given backend; yields its name."""
    await database.stop()
    try:
        if request.param == "sqlite":
            url = sqlite_url(tmp_path)
        else:
            url = await _fresh_postgres()
        await database.start(url)
        try:
            yield request.param
        finally:
            await database.stop()
    finally:
        await database.start(SESSION_DB)


@pytest.fixture
async def postgres_pool() -> AsyncIterator[str]:
    await database.stop()
    try:
        url = await _fresh_postgres()
        await database.start(url)
        try:
            yield url
        finally:
            await database.stop()
    finally:
        await database.start(SESSION_DB)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def blacklist(clock: FakeClock) -> Blacklist:
    return Blacklist(Fingerprinter(SECRET), clock)


@pytest.fixture
async def empty_session_pool() -> None:
    """Plugin tests share the session database; each starts from an empty pool."""
    from bot.models import (
        Buyer,
        Decision,
        GuideCase,
        JointCase,
        JointEvidence,
        JointMember,
        OutboxMessage,
        Report,
        Shop,
        Subscription,
    )

    await JointEvidence.all().delete()
    await JointMember.all().delete()
    await JointCase.all().delete()
    await OutboxMessage.all().delete()
    await Subscription.all().delete()
    await GuideCase.all().delete()
    await Decision.all().delete()
    await Report.all().delete()
    await Buyer.all().delete()
    await Shop.all().delete()
