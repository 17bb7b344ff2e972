"""Database lifecycle: Tortoise configuration, migrations applied on start, close on stop.

The plugins call start() from NoneBot's on_startup and stop() from on_shutdown; the
tests and the benchmark call them directly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, set_global_context
from tortoise.migrations.executor import MigrationExecutor

from bot.storage.models import MODULES

log = logging.getLogger(__name__)

APP = "models"


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": url},
        "apps": {
            APP: {
                "models": MODULES,
                "default_connection": "default",
                "migrations": "bot.storage.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# The SQLite pool's file in the data folder (when DATABASE_URL is unset).
SQLITE_FILE = "shop_guard.sqlite3"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite://{(data_dir / SQLITE_FILE).as_posix()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database."""
    scheme, _, rest = url.partition("://")
    return Path(rest) if scheme == "sqlite" and rest and rest != ":memory:" else None


def head_migration() -> str:
    """The newest migration this code has (what a started database is migrated to)."""
    folder = Path(__file__).resolve().parent / "migrations"
    return max(path.stem for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


# For `tortoise makemigrations` (pyproject [tool.tortoise]); never used to run the bot.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")


def describe(url: str) -> str:
    """The URL without its password, for log lines."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


class Database:
    """One Tortoise context per process, registered as the global fallback so that the
    NoneBot handlers (other tasks than the startup hook) find it."""

    def __init__(self) -> None:
        self._context: TortoiseContext | None = None
        self.url: str | None = None

    @property
    def started(self) -> bool:
        return self._context is not None

    @property
    def current_url(self) -> str:
        """The URL of the started database (what a screening worker process opens)."""
        if self.url is None:
            raise RuntimeError("the database is not started")
        return self.url

    async def start(self, url: str, migrate: bool = True) -> None:
        """Open the database; apply pending migrations unless told not to (a screening
        worker process reads a database that its parent has migrated)."""
        if self._context is not None:
            raise RuntimeError("database already started")
        config = tortoise_config(url)
        # Tortoise caches compiled queries per connection *name*; a process that moves
        # from SQLite to PostgreSQL (the tests do) must not reuse SQLite's SQL.
        EXECUTOR_CACHE.clear()
        context = TortoiseContext()
        # Global before init: building the models already needs a current context.
        set_global_context(context)
        try:
            await context.init(config=config)
            applied: list[str] = []
            executor = MigrationExecutor(context.db(), config["apps"])

            def progress(event: str, app: str, name: str) -> None:
                if event == "apply_done":
                    applied.append(f"{app}.{name}")

            if migrate:
                await executor.migrate(progress=progress)
        except Exception:
            await context.close_connections()
            raise
        self._context = context
        self.url = url
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        log.info("database ready: %s", describe(url))

    async def restart(self) -> None:
        """Close and open the same database again (what a process restart does to it)."""
        if self.url is None:
            raise RuntimeError("database not started")
        url = self.url
        await self.stop()
        await self.start(url)

    async def stop(self) -> None:
        if self._context is not None:
            await self._context.close_connections()
            self._context = None


database = Database()
