"""The SQLite/PostgreSQL plumbing under the queries: named parameters, values in and out,
transactions, and the pieces of SQL that every query about reports shares.

Statements are written once, with `:name` parameters, and run on both databases: SQLite
gets `?` and ISO text for datetimes, PostgreSQL gets `$n` and native values. A list
bound to `IN (:name)` becomes `?, ?, …` on SQLite and `= ANY($n)` (one array, one
plan) on PostgreSQL. Domain words (states, levels) are always bound, never literals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from bot.scoring.categories import Category
from bot.scoring.verdict import ReportFact
from bot.states import ReportState

Row = Sequence[Any]

# A report counts only while it is active. Every query about the pool says so with this
# predicate (the report's alias is always `r`); its parameter is bound by select/execute.
ACTIVE = "r.state = :active_state"
_ALWAYS_BOUND = {"active_state": ReportState.active}

# bot.scoring.counting.counts in SQL: the report `r` counts toward the shop minimums,
# alerts and joint cases (its shop is `s`, joined with SHOP). tests/core/test_counting.py
# checks it against the Python rule on every combination.
COUNTS = (
    "(r.state = :active_state AND r.order_no IS NOT NULL AND NOT r.held"
    " AND s.verified_at IS NOT NULL AND s.banned_at IS NULL)"
)
SHOP = "JOIN shop s ON s.id = r.shop_id"

# The columns that make a ReportFact, in the order fact() reads them.
FACT_COLUMNS = f"r.shop_id, r.category, r.created_at, r.buyer_id, CASE WHEN {COUNTS} THEN 1 ELSE 0 END, r.id, s.roots"
FACT_WIDTH = 7


# A dict rather than Category(value): a screening builds tens of thousands of facts, and
# an enum's call is Python code.
_CATEGORIES = {category.value: category for category in Category}


def fact(row: Row, at: int = 0, linked_by: str | None = None) -> ReportFact:
    """The ReportFact in row[at : at + FACT_WIDTH] (selected as FACT_COLUMNS)."""
    return ReportFact(
        row[at],
        _CATEGORIES[row[at + 1]],
        to_datetime(row[at + 2]),
        row[at + 3],
        linked_by,
        bool(row[at + 4]),
        row[at + 5],
        row[at + 6] or "",
    )


def connection() -> BaseDBAsyncClient:
    """The current connection: inside a transaction, the transaction's."""
    return get_connection("default")


def is_postgres() -> bool:
    return connection().capabilities.dialect == "postgres"


def database_in_process() -> bool:
    """SQLite runs inside this process; PostgreSQL in a server process of its own. Work
    overlapped with a query only gains where the query runs elsewhere: SQLite's thread
    gives up the GIL for each row it steps and then waits a whole switch interval to get
    it back from a busy Python thread (measured: screening lookups beside the reading
    ended up slower than after it)."""
    return not is_postgres()


def transaction() -> TransactionContext:
    return in_transaction()


def to_datetime(value: datetime | str) -> datetime:
    """A stored datetime, as either database returns it (asyncpg: a datetime; SQLite:
    the ISO text Tortoise wrote), always aware and in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is UTC:  # what both databases give back for what was written
        return value
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _sqlite_value(value: Any) -> Any:
    # What Tortoise itself writes into SQLite, so that raw SQL compares with stored rows.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(sep=" ")
    if isinstance(value, Enum):
        return value.value
    return value


def _postgres_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_postgres_value(v) for v in value]
    return value


_PARAMETER_RE = re.compile(r"(NOT )?IN \(:(\w+)\)|(?<![:\w]):(\w+)")

# A statement split once into literal text and parameters: (text, name, kind) pieces,
# kind "" for a value, "IN" / "NOT IN" for a list. The check runs a few statements per
# message, so the parsing is not repeated.
_Piece = tuple[str, str, str]


@lru_cache(maxsize=1024)
def _pieces(sql: str) -> tuple[tuple[_Piece, ...], str]:
    pieces: list[_Piece] = []
    at = 0
    for match in _PARAMETER_RE.finditer(sql):
        negated, in_list, name = match.group(1), match.group(2), match.group(3)
        kind = ("NOT IN" if negated else "IN") if in_list else ""
        pieces.append((sql[at : match.start()], in_list or name, kind))
        at = match.end()
    return tuple(pieces), sql[at:]


def compile_sql(sql: str, params: dict[str, Any], postgres: bool) -> tuple[str, list[Any]]:
    """`:name` parameters to the dialect's placeholders and a list of values. A list
    bound to `IN (:name)` / `NOT IN (:name)` becomes `= ANY($n)` / `<> ALL($n)` on
    PostgreSQL (one array, one plan)."""
    pieces, rest = _pieces(sql)
    out: list[str] = []
    values: list[Any] = []
    numbers: dict[str, int] = {}
    for text, name, kind in pieces:
        out.append(text)
        value = params[name] if name in params else _ALWAYS_BOUND.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(f"no value for :{name} in {sql!r}")
        if postgres:
            if name not in numbers:
                values.append(_postgres_value(value))
                numbers[name] = len(values)
            number = numbers[name]
            out.append(
                f"${number}" if not kind else (f"<> ALL(${number})" if kind == "NOT IN" else f"= ANY(${number})")
            )
        elif kind:
            # Most lists are of strings or ints (keys, hashes, ids), which go in as they are.
            items = [v if type(v) is str or type(v) is int else _sqlite_value(v) for v in value]  # type: ignore[union-attr]
            values.extend(items)
            # An empty list matches nothing, as `= ANY('{}')` does on PostgreSQL.
            listed = f"({', '.join('?' * len(items))})" if items else "(SELECT NULL WHERE 0)"
            out.append(f"{kind} {listed}")
        else:
            values.append(_sqlite_value(value))
            out.append("?")
    out.append(rest)
    return "".join(out), values


_MISSING = object()


async def select(sql: str, **params: Any) -> list[Row]:
    """Rows of a SELECT, or of a write statement with RETURNING."""
    postgres = is_postgres()
    text, values = compile_sql(sql, params, postgres)
    if postgres and text.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
        # Tortoise's asyncpg client returns no rows for a bare write statement.
        text = f"WITH done AS ({text}) SELECT * FROM done"
    rows: list[Row] = list((await connection().execute_query(text, values))[1])  # type: ignore[arg-type]
    return rows


async def execute(sql: str, **params: Any) -> int:
    """Run a write statement; returns the number of rows it changed."""
    postgres = is_postgres()
    text, values = compile_sql(sql, params, postgres)
    if postgres and text.lstrip().upper().startswith("INSERT"):
        # Tortoise reads the count of "INSERT <oid> <rows>" from the wrong place (always
        # 0), so an INSERT counts its rows itself.
        rows = await connection().execute_query(f"WITH done AS ({text} RETURNING 1) SELECT count(*) FROM done", values)
        return int(rows[1][0][0])
    return int((await connection().execute_query(text, values))[0])


async def lock_buyer(buyer_id: int) -> None:
    """Inside a transaction: make every other change to this buyer's reports wait until
    it commits, so that the level read "before" a change is the level the previous
    change left (the decision log chains). PostgreSQL locks the buyer's row; SQLite has
    one writer at a time already (Tortoise holds its connection lock for the whole
    transaction)."""
    if is_postgres():
        await select("SELECT id FROM buyer WHERE id = :buyer_id FOR UPDATE", buyer_id=buyer_id)


# The two evidence tables (an appeal's, a joint case's) and the column naming what the
# evidence is for: the only tables insert_evidence writes to.
EVIDENCE_TABLES = {"appeal_evidence": "appeal_id", "joint_evidence": "case_id"}


async def insert_evidence(
    table: str, of: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    """One piece of evidence, stored once per picture (or text) for what it is for: the
    same screenshot sent twice is one row. True when it is new."""
    column = EVIDENCE_TABLES[table]
    inserted = await execute(
        f"""INSERT INTO {table} ({column}, shop_id, description, sha256, file_name, created_at)
        VALUES (:of, :shop_id, :description, :sha256, :file_name, :now) ON CONFLICT ({column}, sha256) DO NOTHING""",
        of=of,
        shop_id=shop_id,
        description=description,
        sha256=sha256,
        file_name=file_name,
        now=now,
    )
    return inserted == 1
