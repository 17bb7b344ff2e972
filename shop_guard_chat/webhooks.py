"""The way out to webhook robots (企业微信, 钉钉, 飞书): a JSON POST to the robot's address,
only to a public address (or a host WEBHOOK_ALLOW_HOSTS names), never following a
redirect. The address is a credential: no error, log line or outbox note carries it
(bot/messaging/robots.py reads the answers; bot/messaging/outbox.py paces and retries)."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

import aiohttp

from bot.messaging.outbox import DeliveryFailed
from shop_guard_chat.public_addresses import Refused, check_url, public_session

# A robot answers in well under a second; a hung one must not hold the sender (its
# other robots and groups wait behind it).
TIMEOUT_SECONDS = 10
ANSWER_MAX_BYTES = 64 * 1024


def redact(text: str, url: str) -> str:
    """`text` without the address or any piece of it that carries the token (the host
    stays: it says which service failed)."""
    parts = urlsplit(url)
    text = text.replace(url, f"{parts.scheme}://{parts.netloc}/…")
    pieces = {parts.path, parts.query, *parts.path.split("/"), *parts.query.split("&")}
    for secret in sorted(pieces, key=len, reverse=True):
        if len(secret) >= 8:
            text = text.replace(secret, "…")
    return text


class WebhookPoster:
    def __init__(self, allowed_hosts: Collection[str] = (), timeout_seconds: float = TIMEOUT_SECONDS):
        self.allowed = frozenset(h.lower() for h in allowed_hosts)
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        try:
            check_url(url, self.allowed)
            if self._session is None or self._session.closed:
                self._session = public_session(self.allowed, self.timeout)
            async with self._session.post(
                url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, allow_redirects=False
            ) as response:
                return response.status, await response.content.read(ANSWER_MAX_BYTES)
        except (Refused, aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            # `from None`: the cause's own message (and traceback) may hold the address.
            raise DeliveryFailed(redact(f"{type(exc).__name__}: {exc}", url)) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
