"""Credentials kept at rest only sealed: a webhook robot's address is a credential (anyone
who has it posts into the group), and so is its signing secret.

Fernet (the `cryptography` package: AES-128-CBC with HMAC-SHA256, a timestamp and a
version byte; no crypto of our own) with a key derived from the deployment's identity
secret, the one every instance sharing the database already has. A stolen database alone
opens nothing; the key is never stored."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

# Another key than the phone/address hashes', from the same secret.
_PURPOSE = b"shop-guard: sealed credentials, v1"
_DIGESTS = b"shop-guard: digests of sealed credentials, v1"


class Unsealable(Exception):
    """Sealed with another deployment's secret, or damaged."""


class Sealer:
    def __init__(self, secret: bytes):
        key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._digest_key = hmac.new(secret, _DIGESTS, hashlib.sha256).digest()

    def digest(self, kind: str, text: str) -> str:
        """A keyed hash to find a sealed value again (the same address twice) without
        opening every one."""
        return hmac.new(self._digest_key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise Unsealable() from exc
