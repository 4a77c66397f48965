"""The fetcher against a real local HTTP server: limits, redirects, conditional GET, SSRF."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from feedserver import FeedServer

from pipeline.feeds.fetcher import Fetcher, FetchError, FetchLimits, guarded_session

MakeFetcher = Callable[..., Fetcher]
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def _limits(**overrides: object) -> FetchLimits:
    base: dict[str, object] = {
        "max_bytes": 100_000,
        "total_seconds": 5.0,
        "read_seconds": 0.5,
        "max_redirects": 3,
        "allow_private": True,
    }
    return FetchLimits(**{**base, **overrides})  # type: ignore[arg-type]  # test-only kwargs


@pytest.fixture
async def fetcher_factory() -> AsyncIterator[MakeFetcher]:
    sessions = []

    def make(**overrides: object) -> Fetcher:
        limits = _limits(**overrides)
        session = guarded_session(limits)
        sessions.append(session)
        return Fetcher(session, limits)

    yield make
    for session in sessions:
        await session.close()


async def _feed(request: web.Request) -> web.StreamResponse:
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304, headers={"ETag": '"v1"'})
    return web.Response(body=FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'})


async def test_conditional_get(server: FeedServer, fetcher_factory: MakeFetcher) -> None:
    server.routes["/feed"] = _feed
    fetcher = fetcher_factory()
    first = await fetcher.fetch(server.url("/feed"))
    assert first.status == 200 and first.body == FEED and first.etag == '"v1"'
    again = await fetcher.fetch(server.url("/feed"), etag=first.etag)
    assert again.not_modified and again.body == b""
    assert server.log[-1][2]["If-None-Match"] == '"v1"'
    assert "newswire" in server.log[-1][2]["User-Agent"]


async def test_size_cap_while_streaming(server: FeedServer, fetcher_factory: MakeFetcher) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)  # chunked: no Content-Length to trust
        for _ in range(1000):
            await response.write(b"<x>" * 10_000)
        return response

    server.routes["/huge"] = endless
    with pytest.raises(FetchError) as caught:
        await fetcher_factory().fetch(server.url("/huge"))
    assert caught.value.reason == "too_large"


async def test_slow_drip_times_out(server: FeedServer, fetcher_factory: MakeFetcher) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for _ in range(100):  # one byte every 2 s: each read waits longer than allowed
            await response.write(b"<")
            await asyncio.sleep(2)
        return response

    server.routes["/drip"] = drip
    with pytest.raises(FetchError) as caught:
        await fetcher_factory(read_seconds=0.3).fetch(server.url("/drip"))
    assert caught.value.reason == "timeout"


async def test_redirect_loop_and_too_many(server: FeedServer, fetcher_factory: MakeFetcher) -> None:
    async def loop_a(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/b"})

    async def loop_b(request: web.Request) -> web.StreamResponse:
        return web.Response(status=301, headers={"Location": "/a"})

    async def chain(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("n", "0"))
        return web.Response(status=307, headers={"Location": f"/chain?n={n + 1}"})

    server.routes.update({"/a": loop_a, "/b": loop_b, "/chain": chain, "/feed": _feed})
    fetcher = fetcher_factory()
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/a"))
    assert caught.value.reason == "redirect_loop"
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/chain"))
    assert caught.value.reason == "too_many_redirects"


async def test_content_type_and_status(server: FeedServer, fetcher_factory: MakeFetcher) -> None:
    async def image(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x89PNG", content_type="image/png")

    server.routes["/img"] = image
    fetcher = fetcher_factory()
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/img"), accept=frozenset({"text/html"}))
    assert caught.value.reason == "content_type"
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/missing"))
    assert caught.value.reason == "http_404"


async def test_ssrf_loopback_refused_without_the_allow_flag(
    server: FeedServer, fetcher_factory: MakeFetcher
) -> None:
    server.routes["/feed"] = _feed
    guarded = fetcher_factory(allow_private=False)
    with pytest.raises(FetchError) as caught:  # an IP literal
        await guarded.fetch(server.url("/feed"))
    assert caught.value.reason == "refused" and "loopback" in caught.value.message
    with pytest.raises(FetchError) as caught:  # a name that resolves to loopback
        await guarded.fetch(server.url("/feed", host="localhost"))
    assert caught.value.reason == "refused" and "resolves to" in caught.value.message
    assert not server.log  # no request ever reached the server


async def test_ssrf_redirect_to_loopback_refused(
    server: FeedServer, fetcher_factory: MakeFetcher
) -> None:
    async def to_loopback(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": server.url("/feed")})

    server.routes.update({"/hop": to_loopback, "/feed": _feed})
    # "localhost" is trusted (an intranet feed host); the redirect target 127.0.0.1 is not.
    fetcher = fetcher_factory(allow_private=False, trusted_hosts=frozenset({"localhost"}))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/hop", host="localhost"))
    assert caught.value.reason == "refused" and "127.0.0.1" in caught.value.message
    assert server.statuses("/hop") == [302] and server.statuses("/feed") == []
