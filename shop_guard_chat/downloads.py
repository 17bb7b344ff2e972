"""Fetching what a chat event links to (uploaded files, pictures): only http(s), only from
public addresses, streamed under a size cap.

A chat event is written by whoever controls the client, so its links may point anywhere:
at 127.0.0.1, at the cloud's metadata service, at a port scan. The address rule is
shop_guard_chat/public_addresses.py's; redirects are followed by hand, each hop checked
again. `DOWNLOAD_ALLOW_HOSTS` names the hosts exempt from the address rule (tests serving
files on 127.0.0.1, an intranet deployment). Whatever goes wrong, the merchant gets one
message: the difference between errors would tell an attacker which ports are open.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import aiohttp
from nonebot import logger

from bot.errors import BadInput
from shop_guard_chat.public_addresses import Refused, check_url, public_session

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 120


async def fetch(url: str, limit: int, allowed_hosts: list[str], too_large: BadInput) -> bytes:
    """The body at `url`, at most `limit` bytes (`too_large` is raised past it). Any
    other failure is BadInput("download_failed"), the same whatever the cause."""
    allowed = frozenset(h.lower() for h in allowed_hosts)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with public_session(allowed, timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url, allowed)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status != 200:
                        raise Refused(f"HTTP {response.status}")
                    announced = response.content_length
                    if announced is not None and announced > limit:
                        raise too_large
                    return await _read(response, limit, too_large)
            raise Refused("too many redirects")
    except BadInput:
        raise
    except (Refused, aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        logger.warning(f"download refused or failed: {type(exc).__name__}: {exc}")
        raise BadInput("download_failed") from exc


async def _read(response: Any, limit: int, too_large: BadInput) -> bytes:
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
