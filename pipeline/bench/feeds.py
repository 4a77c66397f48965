"""`newswire bench feeds`: feed polling throughput, and extraction quality on real pages.

Throughput: a local aiohttp server (this process, 127.0.0.1) serves FEEDS generated RSS
feeds of ITEMS items each, whose links point at the real article pages of
`news_fixtures/html` (cycled). One poller (the worker's code: fetcher, feedparser,
trafilatura in its extraction processes, registry on a fresh SQLite file) polls every
feed once into a fresh news.raw topic. items/s = items acknowledged by Kafka / wall time
from the first request to the last acknowledgement. The extraction share is trafilatura's
time (measured inside the extraction processes) over the wall time times the processes:
how much of the run the extraction pool was busy.

Quality: every one of the 81 real pages (`news_fixtures/manifest.jsonl`) through
`extract_article`; token-level F1 of the extracted text against the expected paragraphs
(bag of lower-cased word tokens, as SQuAD scores answers), and the share of pages whose
extracted title equals the expected one (whitespace and case folded) and whose date is
the expected day.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from pipeline.broker import ensure_topics
from pipeline.feeds.extract import extract_article
from pipeline.feeds.fetcher import Fetcher, FetchLimits, guarded_session
from pipeline.feeds.poller import FeedPoller, PollOptions
from pipeline.feeds.registry import FeedRegistry
from pipeline.feeds.service import make_executor
from pipeline.feeds.sink import KafkaRawSink
from pipeline.settings import Settings

__all__ = [
    "QualityReport",
    "ThroughputReport",
    "extraction_quality",
    "feed_throughput",
    "token_f1",
]

_TOKEN = re.compile(r"\w+", re.UNICODE)


def token_f1(predicted: str, expected: str) -> float:
    """F1 of the bags of lower-cased word tokens of two texts (1.0 when both are empty)."""
    p = Counter(t.lower() for t in _TOKEN.findall(predicted))
    e = Counter(t.lower() for t in _TOKEN.findall(expected))
    if not p and not e:
        return 1.0
    common = sum((p & e).values())
    if not common:
        return 0.0
    precision = common / sum(p.values())
    recall = common / sum(e.values())
    return 2 * precision * recall / (precision + recall)


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass(frozen=True)
class QualityReport:
    """Extraction quality over the real pages."""

    pages: int
    mean_f1: float
    median_f1: float
    title_accuracy: float
    date_accuracy: float
    no_text: int
    cpu_seconds_per_page: float


def load_pages(data_dir: Path) -> list[dict[str, Any]]:
    """The manifest rows of the real pages, each with its HTML bytes under `html`."""
    root = data_dir / "news_fixtures"
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    pages = [r for r in rows if r.get("kind") == "html"]
    for row in pages:
        row["html"] = gzip.decompress((root / row["file"]).read_bytes())
    return pages


def extraction_quality(pages: list[dict[str, Any]]) -> QualityReport:
    """Token F1, title and date accuracy of `extract_article` on the real pages."""
    scores, titles, dates, empty = [], 0, 0, 0
    cpu_started = time.process_time()
    for row in pages:
        expected = row["expected"]
        result = extract_article(row["html"], row["url"])
        if result is None:
            empty += 1
            scores.append(0.0)
            continue
        scores.append(token_f1(result.text, "\n".join(expected["paragraphs"])))
        titles += _fold(result.title) == _fold(expected["title"])
        dates += (result.date or "")[:10] == (expected.get("publishing_date") or "")[:10]
    n = len(pages)
    cpu = time.process_time() - cpu_started
    return QualityReport(
        pages=n,
        mean_f1=statistics.fmean(scores),
        median_f1=statistics.median(scores),
        title_accuracy=titles / n,
        date_accuracy=dates / n,
        no_text=empty,
        cpu_seconds_per_page=cpu / n,
    )


def _rss(base: str, feed: int, items: int, pages: int) -> bytes:
    entries = []
    for i in range(items):
        n = feed * items + i
        entries.append(
            f"<item><title>Item {n}</title><guid>urn:bench:{n}</guid>"
            f"<link>{escape(f'{base}/page/{n % pages}/{n}')}</link>"
            f"<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate>"
            f"<description>Summary of item {n}.</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed}</title>{''.join(entries)}</channel></rss>"
    ).encode()


@dataclass(frozen=True)
class ThroughputReport:
    """One poll of every feed: items published, wall seconds, time per step."""

    feeds: int
    items: int
    seconds: float
    extract_seconds: float
    fetch_seconds: float
    parse_seconds: float
    processes: int

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds

    @property
    def extraction_share(self) -> float:
        return self.extract_seconds / (self.seconds * max(1, self.processes))


async def feed_throughput(
    settings: Settings, pages: list[dict[str, Any]], feeds: int, items: int
) -> ThroughputReport:
    """Poll `feeds` local feeds of `items` items (real pages behind them) into news.raw."""
    html = [row["html"] for row in pages]

    async def feed(request: web.Request) -> web.Response:
        body = _rss(base, int(request.match_info["n"]), items, len(html))
        return web.Response(body=body, content_type="application/rss+xml")

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=html[int(request.match_info["n"])], content_type="text/html")

    app = web.Application()
    app.router.add_get("/feed/{n}.rss", feed)
    app.router.add_get("/page/{n}/{item}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"

    topic = f"bench-feeds-{uuid.uuid4().hex[:8]}.news.raw"
    await ensure_topics(settings.kafka_bootstrap, {topic: settings.partitions}, 1)
    sink = KafkaRawSink(settings.kafka_bootstrap, topic, settings.max_message_bytes)
    processes = settings.feeds_extract_processes
    executor = make_executor(processes)
    limits = FetchLimits(allow_private=True, max_bytes=settings.fetch_max_page_bytes)
    session = guarded_session(limits, per_host=8)
    with tempfile.TemporaryDirectory() as tmp:
        registry = await FeedRegistry.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            for n in range(feeds):
                await registry.add(f"{base}/feed/{n}.rss", f"bench-{n}", 3600)
            await sink.start()
            # Warm the extraction processes (spawn + trafilatura import) outside the clock.
            loop = asyncio.get_running_loop()
            await asyncio.gather(
                *(
                    loop.run_in_executor(executor, extract_article, html[0], None)
                    for _ in range(max(1, processes))
                )
            )
            poller = FeedPoller(
                registry,
                Fetcher(session, limits),
                sink,
                options=PollOptions(concurrency=settings.feeds_concurrency, per_host=8),
                executor=executor,
            )
            started = time.perf_counter()
            await poller.poll_due()
            seconds = time.perf_counter() - started
        finally:
            await session.close()
            await sink.stop()
            await registry.close()
            executor.shutdown(wait=True, cancel_futures=True)
            await runner.cleanup()
    stats = poller.stats
    return ThroughputReport(
        feeds=feeds,
        items=stats.items_published,
        seconds=seconds,
        extract_seconds=stats.extract_seconds,
        fetch_seconds=stats.fetch_seconds,
        parse_seconds=stats.parse_seconds,
        processes=max(1, processes),
    )
