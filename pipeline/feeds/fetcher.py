"""One bounded HTTP GET: size cap while streaming, total and read timeouts, redirects by hand.

`Fetcher` takes its `aiohttp.ClientSession` (tests and the bench point it at a local
server); `guarded_session` builds the production one, whose resolver is the SSRF guard.
Redirects are followed here, one hop at a time up to `max_redirects`, so every hop is
checked by the guard like the first. Conditional GET: pass the ETag and Last-Modified of
the previous answer and a 304 comes back as `FetchResult.not_modified`.

Every failure is a `FetchError` with a stable `reason` (`refused`, `timeout`,
`too_large`, `redirect_loop`, `too_many_redirects`, `http_<status>`, `content_type`,
`connection`), so callers count them and say what happened.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urljoin

import aiohttp

from pipeline.feeds.guard import FetchRefused, GuardedResolver, check_url

__all__ = ["FetchError", "FetchLimits", "FetchResult", "Fetcher", "guarded_session"]

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
CHUNK: Final = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost: bytes, seconds (total, and between two reads), hops."""

    max_bytes: int = 5_000_000
    total_seconds: float = 30.0
    read_seconds: float = 10.0
    max_redirects: int = 5
    user_agent: str = "newswire-feeds/0.1 (+https://github.com/newswire)"
    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch: the final URL after redirects, status, body and validators."""

    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    seconds: float
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A fetch that failed; `reason` is a stable code, the message says what and where."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def guarded_session(limits: FetchLimits, *, per_host: int = 4) -> aiohttp.ClientSession:
    """A client session whose connector resolves through the SSRF guard."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(
            allow_private=limits.allow_private, trusted_hosts=limits.trusted_hosts
        ),
        limit=100,
        limit_per_host=per_host,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": limits.user_agent},
        auto_decompress=True,
        trust_env=False,  # a proxy would do the resolving and bypass the guard
    )


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


class Fetcher:
    """Bounded GETs over one session; `accept` limits the content types of a 200 answer."""

    def __init__(self, session: aiohttp.ClientSession, limits: FetchLimits) -> None:
        self.session = session
        self.limits = limits

    async def fetch(
        self,
        url: str,
        *,
        accept: frozenset[str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET `url` within the limits; raises `FetchError` with the reason on any failure."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.total_seconds):
                return await self._follow(
                    url, accept, etag, last_modified, max_bytes or self.limits.max_bytes, started
                )
        except TimeoutError:
            raise FetchError(
                "timeout", f"{url}: no complete answer within {self.limits.total_seconds:g} s"
            ) from None

    async def _follow(
        self,
        url: str,
        accept: frozenset[str] | None,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int,
        started: float,
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: list[str] = []
        current = url
        while True:
            try:
                check_url(current, allow_private=self.limits.allow_private)
            except FetchRefused as exc:
                raise FetchError("refused", str(exc)) from None
            seen.append(current)
            status, location, result = await self._get_once(
                current, headers, accept, max_bytes, started, seen
            )
            if result is not None:
                return result
            if location is None:
                raise FetchError(f"http_{status}", f"{current}: redirect without a Location")
            target = urljoin(current, location)
            if target in seen:
                raise FetchError("redirect_loop", f"{url}: redirect loop back to {target}")
            if len(seen) > self.limits.max_redirects:
                raise FetchError(
                    "too_many_redirects",
                    f"{url}: more than {self.limits.max_redirects} redirects",
                )
            current = target

    async def _get_once(
        self,
        url: str,
        headers: dict[str, str],
        accept: frozenset[str] | None,
        max_bytes: int,
        started: float,
        seen: list[str],
    ) -> tuple[int, str | None, FetchResult | None]:
        """One request: (status, Location, None) for a redirect, else (status, None, result)."""
        timeout = aiohttp.ClientTimeout(sock_read=self.limits.read_seconds)
        try:
            async with self.session.get(
                url, headers=headers, allow_redirects=False, timeout=timeout
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    return response.status, response.headers.get("Location"), None
                content_type = _media_type(response.headers.get("Content-Type", ""))
                if response.status == 304:
                    body = b""
                elif response.status != 200:
                    raise FetchError(f"http_{response.status}", f"{url}: HTTP {response.status}")
                else:
                    if accept is not None and content_type and content_type not in accept:
                        raise FetchError(
                            "content_type", f"{url}: content type {content_type!r} not accepted"
                        )
                    body = await self._read_capped(response, url, max_bytes)
                result = FetchResult(
                    url=url,
                    status=response.status,
                    body=body,
                    content_type=content_type,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    seconds=time.monotonic() - started,
                    redirects=seen[:-1],
                )
                return response.status, None, result
        except FetchRefused as exc:  # raised by the guarded resolver
            raise FetchError("refused", str(exc)) from None
        except TimeoutError:
            raise FetchError(
                "timeout", f"{url}: nothing read for {self.limits.read_seconds:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchError("connection", f"{url}: {exc!r}") from None

    @staticmethod
    async def _read_capped(response: aiohttp.ClientResponse, url: str, max_bytes: int) -> bytes:
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise FetchError(
                "too_large", f"{url}: {declared:,} bytes declared; limit {max_bytes:,}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError("too_large", f"{url}: body over the limit of {max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
