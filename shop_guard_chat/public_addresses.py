"""The one rule for every HTTP request the bot makes to an address it was given (a link in
a chat event, a webhook robot's address): only http(s), only to public addresses.

Every host is resolved here and each address checked (loopback, private, link-local,
multicast, reserved and unspecified ones refused), and the connection goes to exactly
the addresses checked (a name that resolves differently a second time cannot slip
through). A deployment's allow list (DOWNLOAD_ALLOW_HOSTS, WEBHOOK_ALLOW_HOSTS) names the
hosts exempt from the address rule (tests serving on 127.0.0.1, an intranet); nothing
else bypasses it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class Refused(Exception):
    """A link that must not be fetched, or a fetch that failed (logged, never shown)."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PublicOnly(AbstractResolver):
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
            if host.lower() not in self.allowed and not is_public(address):
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


def check_url(url: str, allowed: frozenset[str]) -> None:
    """Before a request: http(s), and a literal address only if it is public (a name is
    checked when the resolver resolves it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) link: {parts.scheme!r}")
    host = parts.hostname.lower()
    if host in allowed:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    if not is_public(str(literal)):
        raise Refused(f"non-public address {host}")


def public_session(allowed_hosts: Collection[str], timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """A client session whose every connection goes to a checked public address (or an
    allowed host). Redirects are the caller's to follow, each checked with check_url."""
    allowed = frozenset(h.lower() for h in allowed_hosts)
    connector = aiohttp.TCPConnector(resolver=PublicOnly(allowed), use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)
