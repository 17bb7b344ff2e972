"""`python -m bot doctor`: the settings checked the way the bot will use them, each
finding with what to fix in zh-CN (templates/deployment/doctor/). It writes nothing: the
database is opened without migrating, the key is compared, never recorded."""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.deployment.data_folder import DataFolder
from bot.identity.fingerprints import KEY_FILE, key_check, load_secret
from bot.messaging.charts import FONT, chart_texts
from bot.settings import Settings
from bot.storage.database import database, describe, sqlite_path, sqlite_url
from bot.storage.deployment import IDENTITY_KEY_CHECK, fact_of, fingerprint_count, has_tables


class Health(enum.Enum):
    ok = "ok"
    warning = "warning"  # works, but not as it should for a deployment
    problem = "problem"  # the bot will not work (or not start) like this


@dataclass(frozen=True)
class Finding:
    check: str  # templates/deployment/doctor/<check>.j2 says it
    health: Health
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OneBotSetup:
    """The chat side as NoneBot's OneBot adapter reads it (the caller has NoneBot)."""

    ws_urls: list[str]
    access_token: str | None
    serves_reverse: bool  # a server driver: the QQ client connects to the bot
    listen: str = ""  # host:port a server driver listens on


def _writable(folder: Path) -> Finding:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing != folder:
        ok = os.access(existing, os.W_OK)
        return Finding("folder", Health.ok if ok else Health.problem, {"folder": folder, "created": True})
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return Finding("folder", Health.problem, {"folder": folder, "created": False, "error": error.strerror})
    return Finding("folder", Health.ok, {"folder": folder, "created": False})


async def _pool_findings(settings: Settings, data_dir: Path, seconds: float) -> list[Finding]:
    url = settings.database_url or sqlite_url(data_dir)
    where = {"database": describe(url), "folder": data_dir, "key_file": data_dir / KEY_FILE}
    secret = load_secret(settings.identity_hash_secret, data_dir)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return [
            Finding("database", Health.ok, {**where, "new": True}),
            Finding("key", Health.ok, {**where, "state": "new" if secret is None else "recorded"}),
        ]
    try:
        await asyncio.wait_for(database.start(url, migrate=False), seconds)
        # PostgreSQL is connected to on the first statement, not on start.
        tables = await asyncio.wait_for(has_tables(), seconds)
    except Exception as error:  # whatever the driver says: the operator reads it
        await database.stop()
        return [Finding("database", Health.problem, {**where, "error": f"{type(error).__name__}: {error}"[:300]})]
    try:
        if not tables:
            found = Finding("key", Health.ok, {**where, "state": "new" if secret is None else "recorded"})
            return [Finding("database", Health.ok, {**where, "new": True}), found]
        stored = await fact_of(IDENTITY_KEY_CHECK)
        fingerprints = await fingerprint_count()
    finally:
        await database.stop()
    findings = [Finding("database", Health.ok, {**where, "new": False})]
    if secret is None:
        missing = stored is not None or fingerprints > 0
        state = "missing" if missing else "new"
        findings.append(Finding("key", Health.problem if missing else Health.ok, {**where, "state": state}))
    elif stored is None:
        findings.append(Finding("key", Health.ok, {**where, "state": "recorded"}))
    elif stored == key_check(secret):
        findings.append(Finding("key", Health.ok, {**where, "state": "matched"}))
    else:
        findings.append(Finding("key", Health.problem, {**where, "state": "mismatch", "fingerprints": fingerprints}))
    return findings


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _public_url(settings: Settings) -> Finding:
    if not settings.web_enabled:
        return Finding("public_url", Health.ok, {"enabled": False, "url": settings.public_url})
    host = urlsplit(settings.public_url).hostname or ""
    loopback = _is_loopback(host)
    context = {"enabled": True, "url": settings.public_url, "configured": bool(settings.web_public_url)}
    return Finding("public_url", Health.problem if loopback else Health.ok, context)


async def _onebot(setup: OneBotSetup, seconds: float) -> list[Finding]:
    if not setup.ws_urls:
        if setup.serves_reverse:
            return [Finding("onebot_reverse", Health.ok, {"listen": setup.listen})]
        return [Finding("onebot_missing", Health.warning)]
    headers = {"Authorization": f"Bearer {setup.access_token}"} if setup.access_token else {}
    findings = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session:
        for url in setup.ws_urls:
            error: str | None = None
            status: int | None = None
            try:
                async with session.ws_connect(url, headers=headers, heartbeat=None):
                    pass
            except aiohttp.WSServerHandshakeError as refused:
                status = refused.status
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as failure:
                error = f"{type(failure).__name__}: {failure}"[:200] if str(failure) else type(failure).__name__
            health = Health.ok if error is None and status is None else Health.problem
            findings.append(
                Finding("onebot", health, {"url": url, "error": error, "status": status, "token": bool(headers)})
            )
    return findings


def _font() -> Finding:
    try:
        from matplotlib.ft2font import FT2Font  # noqa: PLC0415 - matplotlib takes a second to import: the doctor only

        charmap = FT2Font(str(FONT)).get_charmap()
    except Exception as error:  # a missing or damaged file, whatever the loader says
        return Finding("font", Health.problem, {"font": FONT, "error": f"{type(error).__name__}: {error}"[:200]})
    missing = sorted({ch for ch in chart_texts() if not ch.isspace() and ord(ch) not in charmap})
    return Finding("font", Health.problem if missing else Health.ok, {"font": FONT, "missing": "".join(missing)})


async def examine(settings: Settings, folder: DataFolder, onebot: OneBotSetup, seconds: float = 5.0) -> list[Finding]:
    findings = []
    if folder.legacy:
        findings.append(Finding("legacy_folder", Health.warning, {"folder": folder.path, "moved_to": folder.moved_to}))
    if folder.stranded:
        findings.append(
            Finding("stranded_folder", Health.warning, {"folder": folder.path, "stranded": folder.stranded})
        )
    findings.append(_writable(folder.path))
    findings.extend(await _pool_findings(settings, folder.path, seconds))
    findings.append(_public_url(settings))
    findings.extend(await _onebot(onebot, seconds))
    findings.append(await asyncio.to_thread(_font))
    return findings
