"""Who may use the HTTP front door: a shop's API key (/令牌, shown once, kept as a
SHA-256), a one-time dashboard login link (/后台, single use, 10 minutes), the dashboard's
sessions (a row each, which logging out ends), and the key that signs the session
cookies, kept in the data folder so that a restart or a second process does not log
anyone out.

The keys and tokens carry 256 bits from `secrets`: a plain SHA-256 is enough to keep
them (a salted slow hash protects guessable passwords, which these are not).
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path

from bot.clock import Clock, utc_now
from bot.storage.access import (
    api_key_of,
    count_call,
    create_login_token,
    create_web_session,
    end_web_session,
    redeem_login_token,
    replace_api_key,
    shop_of_key_hash,
    web_session_account,
)
from bot.storage.models.access import ApiKey
from bot.storage.models.shops import Shop

KEY_PREFIX = "sg_"
LOGIN_MINUTES = 10
SESSION_HOURS = 12
# The dashboard's session-signing key, in the data folder.
SIGNING_KEY_FILE = "web_signing_key"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def load_or_create_signing_key(data_dir: Path) -> bytes:
    """The dashboard's session-signing key: created once, readable by the owner only."""
    path = data_dir / SIGNING_KEY_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(key.hex())
    temporary.chmod(0o600)
    try:
        # Two processes starting at once: the first link wins, both use its key.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return bytes.fromhex(path.read_text().strip())


class Access:
    def __init__(self, clock: Clock = utc_now, login_minutes: int = LOGIN_MINUTES):
        self.clock = clock
        self.login_for = timedelta(minutes=login_minutes)
        self._refused: dict[str, int] = {}  # caller → the end of the window it was refused in

    async def call_allowed(self, caller: str, calls: int, per_seconds: int) -> int | None:
        """A call by `caller` (an API key, an address appealing), at most `calls` in each
        window of `per_seconds`, counted in the database so that every process sharing it
        keeps one count. None: allowed (and counted); else the seconds to wait. A caller
        refused once is refused again until its window ends without a statement: a flood
        from one address costs a dictionary lookup, not a write per request."""
        now = self.clock().timestamp()
        slot = int(now // per_seconds)
        ends = (slot + 1) * per_seconds
        if self._refused.get(caller, 0) <= now:
            if await count_call(caller, slot, ends, calls, int(now)):
                return None
            if len(self._refused) > 100_000:  # many addresses: forget the ended windows
                self._refused = {c: e for c, e in self._refused.items() if e > now}
            self._refused[caller] = ends
        return max(1, math.ceil(ends - now))

    async def rotate_key(self, shop: Shop, by: str) -> str:
        """A new API key for the shop, returned once; the old key stops working."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        await replace_api_key(shop.id, digest(key), key[:10], by, self.clock())
        return key

    async def key_of(self, shop: Shop) -> ApiKey | None:
        return await api_key_of(shop.id)

    async def shop_for_key(self, key: str) -> Shop | None:
        if not key.startswith(KEY_PREFIX) or len(key) > 100:
            return None
        return await shop_of_key_hash(digest(key), self.clock())

    async def login_token(self, account: str) -> str:
        token = secrets.token_urlsafe(32)
        await create_login_token(digest(token), account, self.clock() + self.login_for)
        return token

    async def redeem(self, token: str) -> str | None:
        """The account a login link was made for, once, within its minutes."""
        if not token or len(token) > 100:
            return None
        return await redeem_login_token(digest(token), self.clock())

    # -- dashboard sessions -----------------------------------------------------------------

    async def start_session(self, account: str) -> str:
        """A new session's secret, for the cookie; the table keeps its SHA-256."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        await create_web_session(digest(token), account, now, now + timedelta(hours=SESSION_HOURS))
        return token

    async def session_account(self, token: str) -> str | None:
        """The account of a session that has not ended (logged out) or run out."""
        if not token or len(token) > 100:
            return None
        return await web_session_account(digest(token), self.clock())

    async def end_session(self, token: str) -> None:
        if token and len(token) <= 100:
            await end_web_session(digest(token), self.clock())
