"""One archive that is enough to bring a deployment back on a new machine: the database
(SQLite's online backup, or pg_dump's where PostgreSQL's tools are installed), the
fingerprint key (without it every stored phone and address is lost), the dashboard's
signing key, the evidence pictures, and a note of the settings. Made while the bot
runs; restored with the bot stopped, never over a pool that holds anything unless told
to (--force, which keeps the replaced files beside the new ones).

The archive holds the key: it is as secret as the database itself (written 0600)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bot.deployment.key_guard import guard_key
from bot.errors import Misconfigured
from bot.identity.fingerprints import KEY_FILE, key_check
from bot.settings import Settings
from bot.storage.database import SQLITE_FILE, database, describe, head_migration, sqlite_path, sqlite_url
from bot.storage.deployment import has_tables, pool_size
from bot.storage.snapshots import (
    SnapshotFailed,
    copy_sqlite,
    database_kind,
    dump_postgres,
    postgres_tools,
    restore_postgres,
)
from bot.trust.access import SIGNING_KEY_FILE

FORMAT = 1
MANIFEST = "manifest.json"
EVIDENCE = "evidence"
_DUMPS = {"sqlite": f"database/{SQLITE_FILE}", "postgres": "database/postgres.dump"}
# What an archive may hold: nothing else is read out of it, and no name leaves the
# data folder.
_MEMBER = re.compile(
    r"(manifest\.json|database/shop_guard\.sqlite3|database/postgres\.dump|identity_hash_secret|web_signing_key|evidence/[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
)
# Settings that are secrets or say where the data is (the new machine has its own).
_NOT_NOTED = {"identity_hash_secret", "database_url", "shop_guard_data_dir"}


@dataclass
class Made:
    archive: Path
    database: str | None  # "sqlite", "postgres", or None when pg_dump is missing
    pool: dict[str, int]
    evidence: int
    bytes: int


@dataclass
class Restored:
    database: str | None
    pool: dict[str, int]
    evidence: int
    made_at: str
    schema: str
    settings: dict[str, Any]
    kept: list[Path] = field(default_factory=list)  # files replaced with --force, kept beside


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("shop-guard")
    except metadata.PackageNotFoundError:
        return "unknown"


def settings_note(settings: Settings) -> dict[str, Any]:
    """The settings that differ from the defaults, without secrets: what to copy into
    the new machine's .env."""
    noted = settings.model_dump(mode="json", exclude_defaults=True)
    return {name: value for name, value in sorted(noted.items()) if name not in _NOT_NOTED}


def _files(data_dir: Path, staging: Path, secret: bytes) -> dict[str, Path]:
    files = {}
    key = staging / KEY_FILE
    key.write_bytes(secret + b"\n")
    files[KEY_FILE] = key
    if (data_dir / SIGNING_KEY_FILE).is_file():
        files[SIGNING_KEY_FILE] = data_dir / SIGNING_KEY_FILE
    evidence = data_dir / EVIDENCE
    if evidence.is_dir():
        for path in sorted(evidence.iterdir()):
            if path.is_file() and _MEMBER.fullmatch(f"{EVIDENCE}/{path.name}"):
                files[f"{EVIDENCE}/{path.name}"] = path
    return files


def _write(archive: Path, files: dict[str, Path], manifest: dict[str, Any]) -> int:
    manifest["files"] = {name: {"sha256": _sha256(path), "bytes": path.stat().st_size} for name, path in files.items()}
    partial = archive.with_name(f".{archive.name}.{os.getpid()}.partial")
    # Created 0600 before a byte is written: the archive holds the key.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive.stat().st_size


async def backup(archive: Path, settings: Settings, data_dir: Path, secret: bytes, now: datetime) -> Made:
    """Write the archive of a running deployment (its database started by the caller)."""
    url = database.current_url
    kind = database_kind(url)
    pool = await pool_size()
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".shop-guard-backup-", dir=archive.parent) as folder:
        staging = Path(folder)
        files = _files(data_dir, staging, secret)
        dumped: str | None = kind
        if kind == "sqlite":
            source = sqlite_path(url)
            assert source is not None
            await asyncio.to_thread(copy_sqlite, source, staging / SQLITE_FILE)
            files[_DUMPS[kind]] = staging / SQLITE_FILE
        elif postgres_tools():
            try:
                await asyncio.to_thread(dump_postgres, url, staging / "postgres.dump")
            except SnapshotFailed as failure:
                raise Misconfigured("deployment.dump_failed", tool="pg_dump", detail=str(failure)) from None
            files[_DUMPS[kind]] = staging / "postgres.dump"
        else:
            dumped = None
        manifest = {
            "format": FORMAT,
            "made_at": now.isoformat(),
            "shop_guard": _version(),
            "schema": head_migration(),
            "database": {"kind": kind, "file": _DUMPS[kind] if dumped else None, "from": describe(url), "pool": pool},
            "key_check": key_check(secret),
            "settings": settings_note(settings),
        }
        size = await asyncio.to_thread(_write, archive, files, manifest)
    evidence = sum(1 for name in files if name.startswith(f"{EVIDENCE}/"))
    return Made(archive, dumped, pool, evidence, size)


# -- restore -------------------------------------------------------------------------------


def _read(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack the archive's known members into `into`; the manifest, after checking
    every file against it."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _MEMBER.fullmatch(member.name):
                    raise Misconfigured("deployment.archive_unreadable", archive=str(archive), detail=member.name[:100])
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise Misconfigured("deployment.archive_unreadable", archive=str(archive), detail=str(error)[:200]) from None
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Misconfigured("deployment.archive_unreadable", archive=str(archive), detail=str(error)) from None
    if manifest.get("format") != FORMAT:
        raise Misconfigured(
            "deployment.archive_unreadable", archive=str(archive), detail=f"format {manifest.get('format')}"
        )
    for name, facts in manifest.get("files", {}).items():
        path = into / name
        if not path.is_file() or _sha256(path) != facts.get("sha256"):
            raise Misconfigured("deployment.archive_unreadable", archive=str(archive), detail=name)
    secret = (into / KEY_FILE).read_bytes().strip() if (into / KEY_FILE).is_file() else b""
    if not secret or key_check(secret) != manifest.get("key_check"):
        raise Misconfigured("deployment.archive_unreadable", archive=str(archive), detail=KEY_FILE)
    return manifest


async def _current_pool(url: str) -> dict[str, int]:
    """What the target database holds now (a new or empty one: nothing). Not migrated:
    the dump brings its own schema, which the start after the restore migrates."""
    empty = {"shops": 0, "buyers": 0, "reports": 0}
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return empty
    try:
        await database.start(url, migrate=False)
        tables = await has_tables()  # PostgreSQL is connected to on the first statement
    except Exception as error:  # whatever the driver says: the operator reads it
        await database.stop()
        detail = f"{type(error).__name__}: {error}"[:300]
        raise Misconfigured("deployment.database_unreachable", database=describe(url), detail=detail) from None
    try:
        return await pool_size() if tables else empty
    finally:
        await database.stop()


def _keep_aside(path: Path, stamp: str, kept: list[Path]) -> None:
    if path.exists():
        aside = path.with_name(f"{path.name}.before-restore-{stamp}")
        os.replace(path, aside)
        kept.append(aside)


def _put(source: Path, target: Path, stamp: str, kept: list[Path], mode: int | None = None) -> None:
    """Copy `source` over `target`, keeping a different old `target` aside."""
    if target.exists() and target.read_bytes() == source.read_bytes():
        return
    _keep_aside(target, stamp, kept)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    if mode is not None:
        partial.chmod(mode)
    os.replace(partial, target)


async def restore(archive: Path, settings: Settings, data_dir: Path, now: datetime, force: bool = False) -> Restored:
    """Bring an archive back into this deployment's data folder and database. The bot
    must be stopped. Refused (Misconfigured) when the target pool holds anything and
    `force` is not given, when the archive's database is of another kind than this
    deployment's, or when IDENTITY_HASH_SECRET in the settings is another key."""
    url = settings.database_url or sqlite_url(data_dir)
    kind = database_kind(url)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".shop-guard-restore-", dir=data_dir) as folder:
        unpacked = Path(folder)
        manifest = await asyncio.to_thread(_read, archive, unpacked)
        saved = manifest["database"]
        secret = (unpacked / KEY_FILE).read_bytes().strip()
        if saved["kind"] != kind:
            raise Misconfigured("deployment.restore_other_kind", saved=saved["kind"], here=kind, database=describe(url))
        if settings.identity_hash_secret and settings.identity_hash_secret.encode() != secret:
            raise Misconfigured("deployment.restore_other_key")
        if saved["file"] and kind == "postgres" and not postgres_tools():
            raise Misconfigured("deployment.restore_needs_pg_restore")
        current = await _current_pool(url)
        if any(current.values()) and not force:
            raise Misconfigured("deployment.restore_not_empty", pool=current, database=describe(url))
        kept: list[Path] = []
        if saved["file"] and kind == "sqlite":
            target = sqlite_path(url)
            assert target is not None
            # The old file's write-ahead log would be replayed into the restored one.
            for stale in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                _keep_aside(stale, stamp, kept)
            await asyncio.to_thread(shutil.copyfile, unpacked / saved["file"], target)
        elif saved["file"]:
            try:
                await asyncio.to_thread(restore_postgres, url, unpacked / saved["file"])
            except SnapshotFailed as failure:
                raise Misconfigured("deployment.dump_failed", tool="pg_restore", detail=str(failure)) from None
        await asyncio.to_thread(_put, unpacked / KEY_FILE, data_dir / KEY_FILE, stamp, kept, 0o600)
        if (unpacked / SIGNING_KEY_FILE).is_file():
            await asyncio.to_thread(_put, unpacked / SIGNING_KEY_FILE, data_dir / SIGNING_KEY_FILE, stamp, kept, 0o600)
        evidence = 0
        if (unpacked / EVIDENCE).is_dir():
            (data_dir / EVIDENCE).mkdir(exist_ok=True)
            for path in sorted((unpacked / EVIDENCE).iterdir()):
                await asyncio.to_thread(_put, path, data_dir / EVIDENCE / path.name, stamp, kept)
                evidence += 1
    # The restored pool, migrated to this code's schema, with its key.
    await database.start(url)
    try:
        await guard_key(None, data_dir, describe(url), now)
        pool = await pool_size()
    finally:
        await database.stop()
    return Restored(
        saved["kind"] if saved["file"] else None,
        pool,
        evidence,
        manifest["made_at"],
        manifest["schema"],
        manifest.get("settings", {}),
        kept,
    )
