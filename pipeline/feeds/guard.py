"""The SSRF guard: a fetch reaches only public addresses unless private fetches are allowed.

`NEWSWIRE_ALLOW_PRIVATE_FETCH` lifts the guard; `NEWSWIRE_FETCH_TRUSTED_HOSTS` lifts it
for named hosts only (an intranet feed server), never for IP literals or redirects to
other names.

Checked after DNS resolution, by the resolver the HTTP connector uses, so the address
that was checked is the address connected to (no second lookup an attacker's DNS could
answer differently). IP literals in URLs never reach a resolver, so `check_url` checks
them itself. Redirects are followed by the fetcher one hop at a time, and every hop goes
through both checks again.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = ["FetchRefused", "GuardedResolver", "address_refusal", "check_url"]

ALLOWED_SCHEMES = frozenset({"http", "https"})


class FetchRefused(Exception):
    """A URL the fetcher will not reach; the message says why (no request was sent)."""


def address_refusal(address: str) -> str | None:
    """Why `address` (an IPv4/IPv6 literal) is not public, or None if it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return f"{address} is a {kind} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s), has no host, or names a non-public IP literal.

    Host names are checked when they are resolved (`GuardedResolver`).
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise FetchRefused(f"scheme {parts.scheme!r} is not fetched (only http and https): {url}")
    host = parts.hostname
    if not host:
        raise FetchRefused(f"URL has no host: {url}")
    if not allow_private and _is_ip(host):
        reason = address_refusal(host)
        if reason:
            raise FetchRefused(f"refused {url}: {reason}")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to any non-public address."""

    def __init__(
        self,
        *,
        allow_private: bool,
        trusted_hosts: frozenset[str] = frozenset(),
        inner: AbstractResolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.trusted_hosts = trusted_hosts
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self.allow_private and host.lower() not in self.trusted_hosts:
            # One bad address refuses the name: a rebinding host lists public and private.
            for result in results:
                reason = address_refusal(result["host"])
                if reason:
                    raise FetchRefused(f"refused {host}: it resolves to {reason}")
        return results

    async def close(self) -> None:
        await self._inner.close()

    def __repr__(self) -> str:
        return f"GuardedResolver(allow_private={self.allow_private})"
