"""One feed polled end to end against a real local server and a real SQLite registry.

The sink collects what the poller publishes (Kafka is not what these tests claim about;
tests/integration/test_feeds.py runs the same through a live worker and broker).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from feedserver import FeedServer
from newsfixtures import local_heise_feed, page, page_for_path
from waiting import await_until

from pipeline.feeds.fetcher import Fetcher, FetchLimits, guarded_session
from pipeline.feeds.health import FeedHealth
from pipeline.feeds.poller import FeedPoller, PollOptions
from pipeline.feeds.registry import FeedRegistry, feed_items_table
from schemas.raw import RawArticle


class CollectingSink:
    def __init__(self) -> None:
        self.sent: list[RawArticle] = []

    async def send(self, articles: Sequence[RawArticle]) -> None:
        self.sent.extend(articles)


class GatedSink(CollectingSink):
    """Holds every send until `acknowledge` is set, as a slow broker would."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.acknowledge = asyncio.Event()

    async def send(self, articles: Sequence[RawArticle]) -> None:
        self.sending.set()
        await self.acknowledge.wait()
        await super().send(articles)


class Site:
    """The heise feed (ETag per version) and the real pages behind its links."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.extra = 0
        self.missing_pages = False
        self.pages_open = threading.Event()  # cleared: page requests wait (in a thread)
        self.pages_open.set()
        self.pages_asked = 0
        server.routes["/feed.atom"] = self.feed
        server.routes["/heise/"] = self.page

    async def feed(self, request: web.Request) -> web.StreamResponse:
        etag = f'"v{self.extra}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = local_heise_feed(self.server.url(""), self.extra)
        return web.Response(body=body, content_type="application/atom+xml", headers={"ETag": etag})

    async def page(self, request: web.Request) -> web.StreamResponse:
        self.pages_asked += 1
        await asyncio.get_running_loop().run_in_executor(None, self.pages_open.wait, 60)
        if self.missing_pages:
            return web.Response(status=404)
        return web.Response(body=page(page_for_path(request.path)), content_type="text/html")


@pytest.fixture
async def setup(
    server: FeedServer, tmp_path: Path
) -> AsyncIterator[tuple[Site, FeedRegistry, CollectingSink, FeedPoller]]:
    site = Site(server)
    registry = await FeedRegistry.open(f"sqlite:///{tmp_path / 'store.db'}")
    limits = FetchLimits(allow_private=True, total_seconds=10)
    session = guarded_session(limits)
    sink = CollectingSink()
    poller = FeedPoller(
        registry,
        Fetcher(session, limits),
        sink,
        options=PollOptions(jitter=0.0, max_backoff_seconds=1000),
        health=FeedHealth(),
        rng=random.Random(1),
    )
    yield site, registry, sink, poller
    site.pages_open.set()
    await session.close()
    await registry.close()


async def test_new_items_then_304_then_only_the_new_item(setup) -> None:  # type: ignore[no-untyped-def]
    site, registry, sink, poller = setup
    feed, _ = await registry.add(site.server.url("/feed.atom"), "heise", 60)

    first = await poller.poll(feed)
    assert (first.outcome, first.published) == ("ok", 15)
    assert all(a.extraction == "trafilatura" for a in sink.sent)
    for article in sink.sent:
        expected = page_for_path(article.url or "")["expected"]
        assert expected["paragraphs"][0][:50] in article.body
        assert article.source == "heise" and article.published and article.title
    assert sink.sent[0].title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert sink.sent[0].external_id == "http://heise.de/-3088438"

    feed = (await registry.subscriptions())[0]
    assert feed.etag == '"v0"' and feed.failures == 0
    second = await poller.poll(feed)
    assert (second.outcome, second.published) == ("not_modified", 0)
    assert site.server.statuses("/feed.atom") == [200, 304]

    site.extra = 1
    third = await poller.poll((await registry.subscriptions())[0])
    assert (third.outcome, third.published) == ("ok", 1)
    assert sink.sent[-1].title == "Extra item 0"
    assert len(sink.sent) == 16


async def test_seen_items_survive_a_restart(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, registry, sink, poller = setup
    feed, _ = await registry.add(site.server.url("/feed.atom"), "heise", 60)
    await poller.poll(feed)
    assert len(sink.sent) == 15

    reopened = await FeedRegistry.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        again = await reopened.subscriptions()
        # Lost validators (as after a crash before they were stored): a full 200 answer.
        await reopened.record_poll(again[0].id, next_poll_at=0, failures=0)
        limits = FetchLimits(allow_private=True)
        session = guarded_session(limits)
        restarted = FeedPoller(
            reopened, Fetcher(session, limits), sink, options=PollOptions(jitter=0.0)
        )
        result = await restarted.poll((await reopened.subscriptions())[0])
        await session.close()
    finally:
        await reopened.close()
    assert (result.outcome, result.published) == ("ok", 0)
    assert site.server.statuses("/feed.atom") == [200, 200]


async def test_page_failure_falls_back_to_the_feed_text(setup) -> None:  # type: ignore[no-untyped-def]
    site, registry, sink, poller = setup
    site.missing_pages = True
    feed, _ = await registry.add(site.server.url("/feed.atom"), "heise", 60)
    await poller.poll(feed)
    assert {a.extraction for a in sink.sent} == {"feed_summary:http_404"}
    assert "Version 10 des Enterprise-Java-Servers" in sink.sent[0].body


async def test_errors_back_off_and_show_in_health(setup) -> None:  # type: ignore[no-untyped-def]
    site, registry, sink, poller = setup
    feed, _ = await registry.add(site.server.url("/nothing-here"), "gone", 60)
    for expected_failures in (1, 2, 3):
        result = await poller.poll(feed)
        assert (result.outcome, result.reason) == ("error", "http_404")
        feed = (await registry.subscriptions())[0]
        assert feed.failures == expected_failures
    delay = feed.next_poll_at - poller.clock()
    assert 230 < delay <= 240  # 60 s doubled twice, no jitter
    health = poller.health.snapshot()["gone"]
    assert health["last_error_reason"] == "http_404" and health["ok"] is False
    assert not sink.sent


async def _seen(registry: FeedRegistry) -> int:
    async with registry.engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(feed_items_table)))


async def test_a_stop_before_the_send_gives_the_claim_back_and_marks_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    site, registry, sink, poller = setup
    await registry.add(site.server.url("/feed.atom"), "heise", 60)
    site.pages_open.clear()
    polling = asyncio.ensure_future(poller.poll_due())

    async def fetching_pages() -> bool:  # the poll is in flight, before its send
        assert not polling.done(), polling
        return site.pages_asked > 0

    await await_until(fetching_pages, 30, "the poll fetching the pages")
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    assert not sink.sent and await _seen(registry) == 0
    feed = (await registry.subscriptions())[0]
    assert feed.next_poll_at <= time.time()  # due again at once, not leased for 10 minutes

    site.pages_open.set()
    assert [r.published for r in await poller.poll_due()] == [15]


async def test_a_stop_during_the_send_still_marks_what_kafka_acknowledged(  # type: ignore[no-untyped-def]
    setup,
) -> None:
    site, registry, _, poller = setup
    sink = poller.sink = GatedSink()
    await registry.add(site.server.url("/feed.atom"), "heise", 60)
    polling = asyncio.ensure_future(poller.poll_due())
    await asyncio.wait_for(sink.sending.wait(), 30)
    polling.cancel()
    sink.acknowledge.set()  # the broker answers after the stop was asked for
    with pytest.raises(asyncio.CancelledError):
        await polling
    assert len(sink.sent) == 15 and await _seen(registry) == 15
    feed = (await registry.subscriptions())[0]
    assert feed.next_poll_at > time.time() + 30  # its outcome recorded: due in about 60 s
    assert feed.etag == '"v0"'
