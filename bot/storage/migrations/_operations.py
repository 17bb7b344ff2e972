"""Operations the migrations use where Tortoise's own would harm a SQLite database.

Tortoise 1.x carries out AlterField, RemoveConstraint and the like on SQLite by
rebuilding the table, and the rebuilt table has lost its indexes and unique
constraints. These keep Tortoise's record of the schema right and do in each database
only what is needed. (A module whose name starts with "_" is not a migration.)"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AlterColumnOutsideSQLite(ops.AlterField):
    """AlterField, except on SQLite, where a column's declared type (a varchar's length,
    an enum's description) means nothing. PostgreSQL gets the real ALTER."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class _StateOnly:
    """The same operation for Tortoise's record of the schema, with nothing to do in the
    database (the migration does that itself, in SQL both databases understand)."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class RecordConstraintRemoved(_StateOnly, ops.RemoveConstraint):
    pass


class RecordConstraintAdded(_StateOnly, ops.AddConstraint):
    pass


class RecordFieldAltered(_StateOnly, ops.AlterField):
    pass


def add_index(table: str, column: str) -> ops.RunSQL:
    name = f"idx_{table}_{column}"
    return ops.RunSQL(
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})", reverse_sql=f"DROP INDEX IF EXISTS {name}"
    )


async def fill_shop_name_keys(apps: Any, schema_editor: Any) -> None:
    """0009: each existing shop's folded name, unique per platform. Shops that share a
    name (three accounts once bound the same one) keep it on display; from the second
    on, the key carries the shop's number, so the constraint can hold."""
    from bot.identity.text import fold

    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    _, rows = await client.execute_query("SELECT id, platform, name FROM shop ORDER BY id")
    taken: set[tuple[str, str]] = set()
    for row in rows:
        shop_id, platform, name = row[0], row[1], row[2]
        key = fold(name)[:56]
        if (platform, key) in taken:
            key = f"{key}#{shop_id}"
        taken.add((platform, key))
        sql = "UPDATE shop SET name_key = $1 WHERE id = $2" if postgres else "UPDATE shop SET name_key = ? WHERE id = ?"
        await client.execute_query(sql, [key, shop_id])


async def fill_shop_accounts(apps: Any, schema_editor: Any) -> None:
    """0009: every shop's binding account becomes its owner account."""
    await schema_editor.client.execute_query(
        "INSERT INTO shop_account (account, shop_id, role, created_at) SELECT owner, id, 'owner', created_at FROM shop"
    )


async def fill_joined_names(apps: Any, schema_editor: Any) -> None:
    """0010: a member that had joined keeps the shop's name of today as its joined name."""
    await schema_editor.client.execute_query(
        """UPDATE joint_member SET joined_name = (SELECT name FROM shop WHERE shop.id = joint_member.shop_id)
        WHERE joined_at IS NOT NULL"""
    )


async def fill_level_alerts(apps: Any, schema_editor: Any) -> None:
    """0010: alerts are gated per level by the Alert rows, no longer by buyer.alerted. A
    buyer alerted before the Alert rows existed gets its 高风险 row, so that the next
    report about it does not alert the groups a second time."""
    from datetime import UTC, datetime

    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    now = datetime.now(UTC)
    flag = "TRUE" if postgres else "1"
    marker = "$1" if postgres else "?"
    await client.execute_query(
        f"""INSERT INTO alert (buyer_id, level, created_at) SELECT b.id, '高风险', {marker} FROM buyer b
        WHERE b.alerted = {flag} AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.buyer_id = b.id AND a.corrected_at IS NULL)""",
        [now if postgres else now.isoformat(sep=" ")],
    )


async def fill_vouches(apps: Any, schema_editor: Any) -> None:
    """0012: each verified shop's verification becomes its first vouch, and the shop's
    roots say who it rests on. A verification made outside any group, or by an appointed
    版主, rests on a 版主; one made in a group rests on that group's admin (a superuser who
    verified inside a group is counted as that group's admin: the old rows do not say)."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    _, moderators = await client.execute_query("SELECT account FROM moderator")
    appointed = {row[0] for row in moderators}
    _, shops = await client.execute_query(
        "SELECT id, platform, name_key, verified_by, verified_in, verified_at FROM shop WHERE verified_at IS NOT NULL"
    )
    for shop_id, platform, name_key, voucher, group_id, verified_at in shops:
        voucher = voucher or "system"
        by_moderator = group_id is None or voucher in appointed
        roots = "m" if by_moderator else f"{voucher}@{group_id}"
        values = [shop_id, voucher, group_id, by_moderator, platform, name_key or "", verified_at, verified_at]
        if postgres:
            await client.execute_query(
                """INSERT INTO vouch (shop_id, voucher, group_id, by_moderator, platform, name_key, created_at, notified_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                values,
            )
            await client.execute_query("UPDATE shop SET roots = $1 WHERE id = $2", [roots, shop_id])
        else:
            values[3] = int(by_moderator)
            await client.execute_query(
                """INSERT INTO vouch (shop_id, voucher, group_id, by_moderator, platform, name_key, created_at, notified_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                values,
            )
            await client.execute_query("UPDATE shop SET roots = ? WHERE id = ?", [roots, shop_id])


async def bound_open_appeal_holds(apps: Any, schema_editor: Any) -> None:
    """0012: an appeal open before this release held its buyer's alerts without an end;
    now the hold lasts 48 hours from the appeal (the default of APPEAL_HOLD_HOURS)."""
    from datetime import UTC, datetime, timedelta

    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    _, rows = await client.execute_query("SELECT id, created_at FROM appeal WHERE state = 'open'")
    for appeal_id, created_at in rows:
        if isinstance(created_at, str):
            created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        until = created_at + timedelta(hours=48)
        if postgres:
            await client.execute_query("UPDATE appeal SET hold_until = $1 WHERE id = $2", [until, appeal_id])
        else:
            await client.execute_query(
                "UPDATE appeal SET hold_until = ? WHERE id = ?", [until.astimezone(UTC).isoformat(sep=" "), appeal_id]
            )
