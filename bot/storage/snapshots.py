"""Copies of the whole database, for backups: SQLite's online backup API (a consistent
copy while the bot keeps writing), and PostgreSQL's own pg_dump / pg_restore where they
are installed. Blocking work: callers run it in a thread or a child process."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.storage.database import sqlite_path


class SnapshotFailed(Exception):
    """pg_dump or pg_restore failed; the message is their own (without the password)."""


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database, made in one step of the backup API
    (it holds a read lock for the copy; writers wait or go on in the WAL)."""
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    copy.close()
    live.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A Tortoise postgres:// URL as libpq takes it (no Tortoise options), with the
    password moved into the environment (not in the process list)."""
    parts = urlsplit(url)
    password = unquote(parts.password or "")
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    plain = urlunsplit(("postgresql", f"{user}{host}", parts.path, "", ""))
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    return plain, env


def postgres_tools() -> bool:
    return shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SnapshotFailed((done.stderr or done.stdout).strip()[-2000:])


def dump_postgres(url: str, target: Path) -> None:
    """pg_dump in its custom format (compressed, restorable table by table)."""
    plain, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", plain], env)


def restore_postgres(url: str, source: Path) -> None:
    """pg_restore into the database of `url`, replacing what the dump holds, in one
    transaction (a failure leaves the database as it was)."""
    plain, env = _libpq(url)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={plain}",
            str(source),
        ],
        env,
    )


def database_kind(url: str) -> str:
    """ "sqlite" or "postgres", as the archive's manifest names them."""
    return "sqlite" if sqlite_path(url) is not None else "postgres"
