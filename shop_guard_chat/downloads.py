"""Fetching what a chat event links to (uploaded files, pictures): only http(s), only from
public addresses, streamed under a size cap.

A chat event is written by whoever controls the client, so its links may point anywhere:
at 127.0.0.1, at the cloud's metadata service, at a port scan. Every host is resolved
here and each address checked (loopback, private, link-local, multicast, reserved and
unspecified ones refused), and the connection goes to exactly the addresses checked (a
name that resolves differently a second time cannot slip through). Redirects are
followed by hand, each hop checked again. `DOWNLOAD_ALLOW_HOSTS` names the hosts exempt
from the address rule (tests serving files on 127.0.0.1, an intranet deployment); nothing
else bypasses it. Whatever goes wrong, the merchant gets one message: the difference
between errors would tell an attacker which ports are open.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from nonebot import logger

from bot.errors import BadInput

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 120


class Refused(Exception):
    """A link that must not be fetched, or a fetch that failed (logged, never shown)."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicOnly(AbstractResolver):
    """Resolves with the system resolver (in a thread, as getaddrinfo blocks) and keeps
    only public addresses, unless the host is allowed."""

    def __init__(self, allowed: frozenset[str]):
        self.allowed = allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        except OSError as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from exc
        results: list[ResolveResult] = []
        for family_found, _, proto, _, sockaddr in infos:
            address = str(sockaddr[0])
            if host.lower() not in self.allowed and not _public(address):
                raise Refused(f"{host} resolves to a non-public address {address}")
            results.append(
                ResolveResult(
                    hostname=host,
                    host=address,
                    port=int(sockaddr[1]),
                    family=family_found,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise Refused(f"no address for {host}")
        return results

    async def close(self) -> None:
        return None


def _check_url(url: str, allowed: frozenset[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) link: {parts.scheme!r}")
    host = parts.hostname.lower()
    if host in allowed:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked when the resolver resolves it
    if not _public(str(literal)):
        raise Refused(f"non-public address {host}")


async def fetch(url: str, limit: int, allowed_hosts: list[str], too_large: BadInput) -> bytes:
    """The body at `url`, at most `limit` bytes (`too_large` is raised past it). Any
    other failure is BadInput("download_failed"), the same whatever the cause."""
    allowed = frozenset(h.lower() for h in allowed_hosts)
    connector = aiohttp.TCPConnector(resolver=_PublicOnly(allowed), use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                _check_url(url, allowed)
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
