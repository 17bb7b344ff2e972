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

import asyncio
import itertools
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import nonebot
import pytest
from nonebug import NONEBOT_INIT_KWARGS

from bot.blacklist.blacklist import Blacklist
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.alerts import Alerts
from bot.storage.database import database, sqlite_url
from bot.storage.models.shops import Shop
from bot.storage.trust import vouch_as_moderator

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(tempfile.mkdtemp(prefix="shop-guard-test-"))
SESSION_DB = sqlite_url(DATA_DIR / "session")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
SECRET = b"test-secret-0123456789abcdef"


def pytest_configure(config: pytest.Config) -> None:
    (DATA_DIR / "session").mkdir(parents=True, exist_ok=True)
    config.stash[NONEBOT_INIT_KWARGS] = {
        "driver": "~none",
        "log_level": "INFO",
        "command_start": ["/"],
        "database_url": SESSION_DB,
        "shop_guard_data_dir": str(DATA_DIR / "data"),
        "identity_hash_secret": SECRET.decode(),
        "superusers": ["90000"],
        "outbox_sender": False,
        # Replies of several messages are paced this far apart (tests/test_guide_chat.py).
        "send_interval_seconds": 0.05,
        # The web front door is tested on ports of its own (tests/test_api.py,
        # tests/test_dashboard.py): no server on 8080 in the plugin tests.
        "web_enabled": False,
        "web_public_url": "http://dashboard.test",
        # The tests serve uploads and pictures on loopback; the address rule is tested
        # on its own (tests/test_hostile.py).
        "download_allow_hosts": ["127.0.0.1"],
    }


@pytest.fixture(scope="session", autouse=True)
async def after_nonebot_init(_nonebot_init: None) -> None:
    from shop_guard_chat.onebot_v11 import Adapter as OneBotV11
    from shop_guard_chat.qqbot import Adapter as QQBot

    # Not the console adapter: it would open its terminal UI on startup. The official QQ
    # bot's adapter starts nothing without QQ_BOTS; registered, its plugin is active.
    nonebot.get_driver().register_adapter(OneBotV11)
    nonebot.get_driver().register_adapter(QQBot)
    os.chdir(ROOT)
    nonebot.load_plugin("nonebot_plugin_shop_guard")


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _postgres_url(database_name: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database_name}"


# Every database this run creates carries the run's id, so two runs of the suite on one
# server never touch each other's databases.
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
_POSTGRES_TEMPLATE = f"shop_guard_tpl_{RUN_ID}"
_SQLITE_TEMPLATE = DATA_DIR / "template"
_templates: set[str] = set()
_databases = itertools.count(1)


async def _admin():  # -> asyncpg.Connection
    import asyncpg

    try:
        return await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL is required in CI and is not reachable: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable ({exc}); CI runs these")


async def _migrated_template(kind: str) -> None:
    """Migrate a template database once per run (the process database is stopped)."""
    if kind in _templates:
        return
    if kind == "postgres":
        admin = await _admin()
        try:
            await admin.execute(f"CREATE DATABASE {_POSTGRES_TEMPLATE}")
        finally:
            await admin.close()
        url = _postgres_url(_POSTGRES_TEMPLATE)
    else:
        _SQLITE_TEMPLATE.mkdir(parents=True, exist_ok=True)
        url = sqlite_url(_SQLITE_TEMPLATE)
    await database.start(url)
    await database.stop()
    _templates.add(kind)


async def _copy_of_template() -> str:
    name = f"shop_guard_{RUN_ID}_{next(_databases)}"
    admin = await _admin()
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {_POSTGRES_TEMPLATE}")
    finally:
        await admin.close()
    return _postgres_url(name)


# CREATE DATABASE … TEMPLATE takes ~0.3 s of the server's time: the next test's copy is
# made in the background while the current test runs.
_spare: asyncio.Task[str] | None = None


async def fresh_database(kind: str, folder: Path) -> str:
    """A new, migrated, empty database of the given kind, copied from the template."""
    global _spare
    await _migrated_template(kind)
    if kind == "sqlite":
        shutil.copy(_SQLITE_TEMPLATE / "shop_guard.sqlite3", folder / "shop_guard.sqlite3")
        return sqlite_url(folder)
    url = await (_spare if _spare is not None else _copy_of_template())
    _spare = asyncio.create_task(_copy_of_template())
    return url


async def empty_postgres() -> str:
    """A new PostgreSQL database with no tables (for migration tests); drop_database()
    it afterwards."""
    name = f"shop_guard_{RUN_ID}_{next(_databases)}"
    admin = await _admin()
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return _postgres_url(name)


async def drop_database(url: str) -> None:
    await _drop(url)


async def _drop(url: str) -> None:
    if url.startswith("postgres"):
        admin = await _admin()
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")
        finally:
            await admin.close()


@pytest.fixture(scope="session", autouse=True)
async def _drop_templates() -> AsyncIterator[None]:
    yield
    if _spare is not None:
        await _drop(await _spare)
    if "postgres" in _templates:
        await _drop(_postgres_url(_POSTGRES_TEMPLATE))


@asynccontextmanager
async def swapped_database(kind: str, folder: Path) -> AsyncIterator[str]:
    """Swap the process database for a fresh one; the session database comes back after."""
    await database.stop()
    try:
        url = await fresh_database(kind, folder)
        await database.start(url)
        try:
            yield url
        finally:
            await database.stop()
            await _drop(url)
    finally:
        await database.start(SESSION_DB)


@pytest.fixture(params=["sqlite", "postgres"])
async def pool(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Run the test once on a fresh SQLite file and once on a fresh PostgreSQL database;
    yields the backend's name."""
    async with swapped_database(request.param, tmp_path):
        yield request.param


@pytest.fixture
async def postgres_pool(tmp_path: Path) -> AsyncIterator[str]:
    async with swapped_database("postgres", tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def blacklist(clock: FakeClock) -> Blacklist:
    return Blacklist(Fingerprinter(SECRET), clock)


@pytest.fixture
def alerts(clock: FakeClock, tmp_path: Path) -> Alerts:
    return Alerts(tmp_path, clock)


@pytest.fixture
def alerting(clock: FakeClock, alerts: Alerts) -> Blacklist:
    """A blacklist whose decisions reach the alerts (as in the bot's pool)."""
    return Blacklist(Fingerprinter(SECRET), clock, on_decided=alerts.on_decided)


@pytest.fixture
async def empty_session_pool() -> None:
    """Plugin tests share the session database; each starts from an empty pool. Every
    model is emptied, children before the tables they point to, so a table added later
    is not forgotten here."""
    from tortoise import Tortoise

    models = list(Tortoise.apps["models"].values())
    emptied: set[type] = set()
    while len(emptied) < len(models):
        before = len(emptied)
        for model in models:
            if model in emptied:
                continue
            # A table may be emptied once every table pointing at it is empty.
            pointing = [
                other
                for other in models
                if other is not model
                and other not in emptied
                and any(
                    field.related_model is model
                    for field in (
                        other._meta.fields_map[name] for name in other._meta.fk_fields | other._meta.o2o_fields
                    )
                )
            ]
            if not pointing:
                await model.all().delete()
                emptied.add(model)
        assert len(emptied) > before, "tables point at each other in a cycle"


async def verify(shop: Shop) -> Shop:
    """Mark a shop verified, as a 版主 would (the moderation path has tests of its own)."""

    await vouch_as_moderator(shop, "qq:90000", datetime.now(UTC))
    shop.verified_at = datetime.now(UTC)
    shop.roots = "m"
    return shop


async def verified_shop(blacklist: Blacklist, account: str, name: str, platform: str = "淘宝") -> Shop:
    from bot.commands.grammar import parse_bind

    return await verify((await blacklist.bind(account, parse_bind(f"{platform} {name}"))).shop)


async def shops(blacklist, n):
    """n verified shops (only their reports with an order number count towards 高风险)."""
    return [await verified_shop(blacklist, f"qq:{i}", f"店{i}") for i in range(n)]


_orders = itertools.count(3_720_000_000_000_001)


def order(text: str) -> str:
    """The report with an order number of its own."""
    buyer, kind, *rest = text.split(" ")
    if buyer in ("pdd", "淘宝"):
        return f"{buyer} {kind} {rest[0]} {next(_orders)} {' '.join(rest[1:])}".strip()
    return f"{buyer} {kind} {next(_orders)} {' '.join(rest)}".strip()
