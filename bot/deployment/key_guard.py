"""The fingerprint key and the database belong together. Every phone and address is
stored as an HMAC under the deployment's key (bot/identity/fingerprints.py); started
with another key, the bot would run as usual and simply never match any of them again.
So the database keeps a check value of the key (deployment_fact), and a process that
brings a different key, or none where the pool already holds fingerprints, refuses to
start and says how to put it right.

A pool from before the check value existed records it on its first start: that start
cannot be checked, every later one is."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import Misconfigured
from bot.identity.fingerprints import KEY_FILE, create_secret, key_check, load_secret
from bot.storage.deployment import IDENTITY_KEY_CHECK, fact_of, fingerprint_count, record_fact_once, replace_fact


class KeyState(enum.Enum):
    matched = "matched"  # the pool's check value is this key's
    recorded = "recorded"  # the pool had none (a fresh pool, or one from before the check)
    created = "created"  # no key anywhere and an empty pool: a new key, recorded


@dataclass(frozen=True)
class GuardedKey:
    secret: bytes
    state: KeyState


def _source(configured: str | None, data_dir: Path) -> str:
    return "IDENTITY_HASH_SECRET" if configured else str(data_dir / KEY_FILE)


async def guard_key(configured: str | None, data_dir: Path, database: str, now: datetime) -> GuardedKey:
    """The key for this pool (on a started database), or Misconfigured."""
    secret = load_secret(configured, data_dir)
    context = {"folder": str(data_dir), "key_file": str(data_dir / KEY_FILE), "database": database}
    if secret is None:
        fingerprints = await fingerprint_count()
        if await fact_of(IDENTITY_KEY_CHECK) is not None or fingerprints:
            raise Misconfigured("deployment.key_missing", fingerprints=fingerprints, **context)
        secret = create_secret(data_dir)
        state = KeyState.created
    else:
        state = KeyState.matched if await fact_of(IDENTITY_KEY_CHECK) is not None else KeyState.recorded
    check = key_check(secret)
    if await record_fact_once(IDENTITY_KEY_CHECK, check, now) != check:
        raise Misconfigured(
            "deployment.key_mismatch",
            fingerprints=await fingerprint_count(),
            source=_source(configured, data_dir),
            **context,
        )
    return GuardedKey(secret, state)


async def accept_key(configured: str | None, data_dir: Path, now: datetime) -> tuple[bytes, int]:
    """Make the current key (created if there is none) the pool's, on purpose: the
    fingerprints stored under the old one never match again. Returns the key and how
    many reports carry such fingerprints."""
    secret = load_secret(configured, data_dir) or create_secret(data_dir)
    await replace_fact(IDENTITY_KEY_CHECK, key_check(secret), now)
    return secret, await fingerprint_count()
