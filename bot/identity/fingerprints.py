"""Phone numbers and addresses reduced to what may be stored (PIPL): a keyed hash to match
on and a mask to show, and the deployment's key for the hashes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadInput
from bot.identity.text import fold, is_mobile, is_virtual_number, mask_address, mask_virtual_number, mobile_digits

log = logging.getLogger(__name__)


def normalise_phone(raw: str) -> str:
    """Mainland mobile numbers only: 11 digits starting with 1, with +86/0086 and
    separators removed."""
    if len(raw) == 11 and raw.isdigit() and raw.isascii() and raw[0] == "1" and raw[1] in "3456789":
        return raw
    if not is_mobile(raw):
        if is_virtual_number(raw):
            # The platform's number for the order, not the buyer's: matching on it would
            # link strangers (bot/identity/text.py).
            raise BadInput("phone_virtual", phone=mask_virtual_number(raw))
        raise BadInput("phone_invalid")
    return mobile_digits(raw)


def normalise_address(raw: str) -> str:
    address = re.sub(r"[\s,，。;；]", "", fold(raw))
    if len(address) < 4:
        raise BadInput("address_invalid")
    if len(address) > 200:
        raise BadInput("address_invalid")
    return address


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


@dataclass(frozen=True)
class Trait:
    """A phone number or address reduced to what may be stored: a keyed hash to match
    on and a mask to show."""

    kind: str  # "phone" | "address"
    digest: str
    mask: str


class Fingerprinter:
    """HMAC-SHA256 with the deployment's secret: the same number always gives the same
    digest within a deployment, and a stolen database cannot be reversed by hashing
    every mobile number (there are only ~10^10 of them)."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("identity hash secret must be at least 16 bytes")
        # HMAC-SHA256 (RFC 2104) with the padded key hashed once: each digest copies the
        # two keyed states in C, which screening 100,000 orders needs (hmac.HMAC.copy is
        # Python code). tests/test_identity.py checks it against hmac.new.
        key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, kind: str, normalised: str) -> str:
        inner = self._inner.copy()
        inner.update(f"{kind}:{normalised}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def phone(self, raw: str) -> Trait:
        return self.phone_normalised(normalise_phone(raw))

    def phone_normalised(self, phone: str) -> Trait:
        return Trait("phone", self.digest("phone", phone), mask_phone(phone))

    def address(self, raw: str) -> Trait:
        return self.address_normalised(normalise_address(raw))

    def address_normalised(self, address: str) -> Trait:
        return Trait("address", self.digest("address", address), mask_address(address))


# The generated key's file in the data folder (a configured IDENTITY_HASH_SECRET wins).
KEY_FILE = "identity_hash_secret"
# What the key check value is an HMAC of: a label, so that the value says nothing of any
# phone or address and cannot be used to test guesses of one.
_KEY_CHECK_LABEL = b"shop-guard: identity hash key check, v1"


def key_check(secret: bytes) -> str:
    """A value the database keeps to recognise the key it was filled with (never the key:
    HMAC-SHA256 of a fixed label under it)."""
    return hmac.new(secret, _KEY_CHECK_LABEL, hashlib.sha256).hexdigest()


def load_secret(configured: str | None, data_dir: Path) -> bytes | None:
    """The configured secret, else the one kept in the data folder; None when neither."""
    if configured:
        return configured.encode()
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip().encode()
    return None


def create_secret(data_dir: Path) -> bytes:
    """A new secret kept in the data folder, readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path = data_dir / KEY_FILE
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret.encode()


def load_or_create_secret(configured: str | None, data_dir: Path) -> tuple[bytes, bool]:
    """The configured secret wins; otherwise one is generated once and kept in the data
    folder. Losing it means old hashes never match again, so it is never regenerated
    when the file exists. Returns (secret, created)."""
    found = load_secret(configured, data_dir)
    if found is not None:
        return found, False
    return create_secret(data_dir), True
