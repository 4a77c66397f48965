"""Live feeds through a worker and a real broker: a local site serves the real heise feed
and real article pages, plus hostile feeds; the worker polls them all.

One worker polls every feed of the module, so each hostile case is also a check that the
worker keeps serving the others: the good feed's new item still arrives after they failed.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition
from feedserver import FeedServer
from newsfixtures import local_heise_feed, page, page_for_path
from parse_bomb import BILLION_LAUGHS

from pipeline.topology import RAW

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
INTERVAL = "1s"


class Site:
    """The heise feed (one ETag per version), its pages, and the hostile feeds."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.extra = 0
        server.routes.update(
            {
                "/feed.atom": self.feed,
                "/heise/": self.page,
                "/huge.rss": self.huge,
                "/drip.rss": self.drip,
                "/loop.rss": self.loop,
                "/malformed.rss": self.malformed,
                "/bomb.rss": self.bomb,
            }
        )

    async def feed(self, request: web.Request) -> web.StreamResponse:
        etag = f'"v{self.extra}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = local_heise_feed(self.server.url(""), self.extra)
        return web.Response(body=body, content_type="application/atom+xml", headers={"ETag": etag})

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=page(page_for_path(request.path)), content_type="text/html")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            for _ in range(2_000):  # 20 MB, over the 1 MB limit set below
                await response.write(b"<item><title>x</title></item>" * 350)
        except ConnectionError:
            pass  # the fetcher hung up at the limit, as it should
        return response

    async def drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            for _ in range(30):  # a byte every 2 s, longer than the 1 s read timeout
                await response.write(b"<")
                await asyncio.sleep(2)
        except ConnectionError:
            pass
        return response

    async def loop(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/loop.rss"})

    async def malformed(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x00\x01<<<>>>&&& not xml \xff\xfe", content_type="text/xml")

    async def bomb(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=BILLION_LAUGHS, content_type="application/rss+xml")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with FeedServer() as server:
        yield Site(server)


HOSTILE = {
    "huge": ("/huge.rss", "too_large"),
    "drip": ("/drip.rss", "timeout"),
    "loop": ("/loop.rss", "redirect_loop"),
    "malformed": ("/malformed.rss", "unreadable"),
}


@pytest.fixture(scope="module")
def feeds_worker(pipeline: Any, site: Site) -> Iterator[str]:
    """Feeds subscribed with the CLI, then a worker polling them; yields its web URL."""
    feeds = {"heise": "/feed.atom", "bomb": "/bomb.rss"} | {n: p for n, (p, _) in HOSTILE.items()}
    for name, path in feeds.items():
        done = pipeline.cli(
            "feeds", "add", site.server.url(path), "--name", name, "--interval", INTERVAL
        )
        assert done.returncode == 0, done.stderr
    listed = pipeline.cli("feeds", "list")
    assert "heise" in listed.stdout and "malformed" in listed.stdout
    proc: subprocess.Popen[bytes] = pipeline.start_worker(
        "feeds",
        NEWSWIRE_ALLOW_PRIVATE_FETCH="1",
        NEWSWIRE_NER_ENABLED="false",
        NEWSWIRE_FETCH_READ_TIMEOUT_SECONDS="1",
        NEWSWIRE_FETCH_TIMEOUT_SECONDS="4",
        NEWSWIRE_FETCH_MAX_FEED_BYTES="1000000",
        NEWSWIRE_FEEDS_JITTER="0",
        NEWSWIRE_FEEDS_MAX_BACKOFF_SECONDS="2",
    )
    try:
        yield f"http://127.0.0.1:{pipeline.web_ports['feeds']}"
    finally:
        pipeline.stop_worker(proc, "feeds")


def _stored(pipeline: Any, source: str) -> list[dict[str, Any]]:
    rows = pipeline.stored("SELECT record FROM articles")
    records = [orjson.loads(r[0]) for r in rows]
    return [r for r in records if r.get("source") == source]


async def _raw_records(pipeline: Any) -> list[dict[str, Any]]:
    """Every record on news.raw so far (read to the end offsets, no consumer group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=pipeline.settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = pipeline.topic(RAW)
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not parts:
            parts = [TopicPartition(topic, p) for p in range(pipeline.settings.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[dict[str, Any]] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            out.extend(orjson.loads(m.value) for msgs in batch.values() for m in msgs)
        return out
    finally:
        await consumer.stop()


def _raw_from(pipeline: Any, source: str) -> int:
    return sum(1 for r in asyncio.run(_raw_records(pipeline)) if r.get("source") == source)


def _feeds_api(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/api/feeds", timeout=10) as response:
        data: dict[str, Any] = json.load(response)
    return {f["name"]: f for f in data["feeds"]}


def test_feed_items_arrive_with_extracted_text(
    pipeline: Any, site: Site, feeds_worker: str, wait: Wait
) -> None:
    wait(lambda: len(_stored(pipeline, "heise")) == 15, 120, "15 heise articles stored")
    for record in _stored(pipeline, "heise"):
        assert record["extraction"] == "trafilatura"
        expected = page_for_path(record["url"])["expected"]
        assert expected["paragraphs"][0][:50] in record["body"]


def test_a_304_publishes_nothing_and_a_changed_feed_only_the_new_item(
    pipeline: Any, site: Site, feeds_worker: str, wait: Wait
) -> None:
    wait(lambda: 304 in site.server.statuses("/feed.atom"), 60, "a 304 on the heise feed")
    assert _raw_from(pipeline, "heise") == 15

    # Every hostile feed has failed (and been retried) before the feed changes.
    def hostile_failed() -> bool:
        feeds = _feeds_api(feeds_worker)
        return all(
            (feeds[name]["health"] or {}).get("last_error_reason") == reason
            for name, (_, reason) in HOSTILE.items()
        )

    wait(hostile_failed, 60, "every hostile feed to fail with its reason")
    feeds = _feeds_api(feeds_worker)
    assert feeds["bomb"]["health"]["polls"] >= 1  # parsed, unexpanded, without harm

    site.extra = 1
    wait(lambda: len(_stored(pipeline, "heise")) == 16, 60, "the new item stored")
    seen = len(site.server.statuses("/feed.atom"))
    wait(lambda: 304 in site.server.statuses("/feed.atom")[seen:], 60, "a 304 after the change")
    assert _raw_from(pipeline, "heise") == 16
    assert _feeds_api(feeds_worker)["heise"]["health"]["ok"] is True
