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
