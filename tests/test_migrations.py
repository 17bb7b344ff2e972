"""Upgrading a database that holds data: every migration after the first must apply to
a populated pool, on SQLite and PostgreSQL (tests otherwise only ever migrate empty
databases)."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext, set_global_context
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from bot.database import database, sqlite_url, tortoise_config
from tests.conftest import SESSION_DB, _fresh_postgres


@pytest.fixture(params=["sqlite", "postgres"])
async def old_pool(request, tmp_path):
    """A database migrated to the first release's schema only (issue 2)."""
    await database.stop()
    try:
        url = sqlite_url(tmp_path) if request.param == "sqlite" else await _fresh_postgres()
        config = tortoise_config(url)
        context = TortoiseContext()
        set_global_context(context)
        try:
            await context.init(config=config)
            await MigrationExecutor(context.db(), config["apps"]).migrate([MigrationTarget("models", "0001_initial")])
            connection = context.db()
            now = "2026-11-01 00:00:00+00:00"
            for sql in (
                f"INSERT INTO shop (owner, platform, name, created_at, updated_at) VALUES ('qq:1', 'taobao', '甲', '{now}', '{now}')",
                f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('taobao', 'tb_old', '{now}')",
                "INSERT INTO report (shop_id, buyer_id, category, description, dedup_key, created_at)"
                f" VALUES (1, 1, 'extortion', '', 'kind:extortion', '{now}')",
            ):
                await connection.execute_script(sql)
        finally:
            await context.close_connections()
        yield url
    finally:
        await database.stop()
        await database.start(SESSION_DB)


async def test_later_migrations_apply_to_a_populated_database(old_pool):
    await database.start(old_pool)
    from bot.models import Buyer, OutboxMessage, Report

    buyer = await Buyer.get(buyer_key="tb_old")
    assert buyer.alerted is False
    assert await Report.filter(buyer_id=buyer.id).count() == 1
    assert await OutboxMessage.all().count() == 0
