"""Polling: one poll of one feed (`FeedPoller.poll`), and the loop over due feeds (`run`).

A poll: conditional GET of the feed → parse (off the loop) → the items not seen before →
for each, the article page fetched and extracted (off the loop; the feed's own text when
the page fails, and the record's `extraction` says which) → published to news.raw and
acknowledged → only then marked seen and the new validators stored. A crash anywhere
before the acknowledgement loses nothing: the next poll fetches the same items again.
A stop (the polling task cancelled) cuts a poll short only before its first send, and
gives the feed's claim back, so it is due again at once; from the send on, the poll ends
first, so what Kafka acknowledged is remembered as seen.

`extraction` is `trafilatura` when the page gave the body, else `feed_summary:<why>`
with a fetch reason (`http_404`, `refused`, `too_large`, `timeout`, …), `no_text`
(trafilatura found no article), `no_link` or `pages_off` (`NEWSWIRE_FEEDS_FETCH_PAGES`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from pipeline.feeds.extract import Extraction, extract_article, summary_text
from pipeline.feeds.fetcher import Fetcher, FetchError, FetchResult
from pipeline.feeds.health import FeedHealth
from pipeline.feeds.parse import FeedItem, FeedUnreadable, ParsedFeed, parse_feed
from pipeline.feeds.registry import FeedRegistry, Subscription
from pipeline.feeds.schedule import next_poll_delay
from pipeline.feeds.sink import RawSink
from pipeline.feeds.whole import run_to_end
from schemas.raw import RawArticle

__all__ = ["FEED_TYPES", "PAGE_TYPES", "FeedPoller", "PollOptions", "PollResult", "PollStats"]

log = logging.getLogger(__name__)

FEED_TYPES: Final = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "text/plain",  # many servers label static .rss files so
        "application/octet-stream",
    }
)
PAGE_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
LEASE_SECONDS: Final = 600.0  # a claimed feed is due again after this if its poller died
IDLE_SECONDS: Final = 5.0  # longest sleep between looks at the registry (new subscriptions)


@dataclass(frozen=True)
class PollOptions:
    """How polling behaves (from `Settings`; the bench and tests build their own)."""

    concurrency: int = 16
    per_host: int = 2
    jitter: float = 0.1
    max_backoff_seconds: float = 3600.0
    fetch_pages: bool = True
    max_feed_bytes: int = 5_000_000
    max_page_bytes: int = 3_000_000


@dataclass(frozen=True)
class PollResult:
    """What one poll did: `outcome` ok | not_modified | error; `reason` for an error."""

    feed: str
    outcome: str
    published: int = 0
    reason: str | None = None
    message: str | None = None


@dataclass
class PollStats:
    """Time spent per step, summed over every poll of this poller (for the bench)."""

    feeds_fetched: int = 0
    pages_fetched: int = 0
    items_published: int = 0
    fetch_seconds: float = 0.0
    parse_seconds: float = 0.0
    extract_seconds: float = 0.0
    publish_seconds: float = 0.0


def _timed_extract(html: bytes, url: str | None) -> tuple[Extraction | None, float]:
    # Runs in the executor: the time measured is extraction alone, not queueing.
    started = time.perf_counter()
    return extract_article(html, url), time.perf_counter() - started


def _timed_parse(data: bytes, url: str, content_type: str) -> tuple[ParsedFeed, float]:
    started = time.perf_counter()
    return parse_feed(data, url=url, content_type=content_type), time.perf_counter() - started


def _external_id(key: str) -> str | None:
    return key.removeprefix("id:") if key.startswith("id:") else None


class FeedPoller:
    """Polls subscriptions from a registry into a sink, bounded per host and overall."""

    def __init__(
        self,
        registry: FeedRegistry,
        fetcher: Fetcher,
        sink: RawSink,
        *,
        options: PollOptions,
        health: FeedHealth | None = None,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.registry = registry
        self.fetcher = fetcher
        self.sink = sink
        self.options = options
        self.health = health if health is not None else FeedHealth()
        self.executor = executor
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self.stats = PollStats()
        self._overall = asyncio.Semaphore(options.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.options.per_host)
        return slot

    async def poll(self, feed: Subscription) -> PollResult:
        """Poll one feed now and record the outcome in the registry and the health figures."""
        try:
            result = await self._poll(feed)
        except FetchError as exc:
            result = PollResult(feed.name, "error", reason=exc.reason, message=exc.message)
        except FeedUnreadable as exc:
            result = PollResult(feed.name, "error", reason="unreadable", message=str(exc))
        if result.outcome == "error":
            failures = feed.failures + 1
            delay = self._delay(feed, failures)
            log.info(
                "feed %s: %s (%s); next try in %.0f s",
                feed.name,
                result.reason,
                result.message,
                delay,
            )
            self.health.observe_error(feed.name, result.reason or "error", result.message or "")
            await self.registry.record_poll(
                feed.id,
                next_poll_at=self.clock() + delay,
                failures=failures,
                error=f"{result.reason}: {result.message}",
                keep_validators=True,
            )
        return result

    def _delay(self, feed: Subscription, failures: int) -> float:
        return next_poll_delay(
            feed.interval_seconds,
            failures,
            jitter=self.options.jitter,
            max_backoff=self.options.max_backoff_seconds,
            rng=self.rng,
        )

    async def _poll(self, feed: Subscription) -> PollResult:
        async with self._host_slot(feed.url):
            fetched = await self.fetcher.fetch(
                feed.url,
                accept=FEED_TYPES,
                etag=feed.etag,
                last_modified=feed.last_modified,
                max_bytes=self.options.max_feed_bytes,
            )
        self.stats.feeds_fetched += 1
        self.stats.fetch_seconds += fetched.seconds
        if fetched.not_modified:
            etag = fetched.etag or feed.etag  # a 304 keeps the validators it confirmed
            last_modified = fetched.last_modified or feed.last_modified
            await self._succeeded(feed, fetched.seconds, [], etag, last_modified, None)
            return PollResult(feed.name, "not_modified")
        loop = asyncio.get_running_loop()
        parsed, parse_seconds = await loop.run_in_executor(
            self.executor, _timed_parse, fetched.body, fetched.url, fetched.content_type
        )
        self.stats.parse_seconds += parse_seconds
        items = list({item.key: item for item in reversed(parsed.items)}.values())[::-1]
        unseen = await self.registry.unseen(feed.id, [i.key for i in items])
        fresh = [i for i in items if i.key in unseen]
        articles = await asyncio.gather(*(self._article(feed, item) for item in fresh))
        newest = max((i.published_ts for i in items if i.published_ts), default=None)
        # From the first send on, a stop waits: what Kafka acknowledged is marked seen.
        await run_to_end(self._publish(feed, fresh, articles, fetched, newest))
        return PollResult(feed.name, "ok", published=len(articles))

    async def _publish(
        self,
        feed: Subscription,
        fresh: list[FeedItem],
        articles: list[RawArticle],
        fetched: FetchResult,
        newest: float | None,
    ) -> None:
        if articles:
            started = time.perf_counter()
            try:
                await self.sink.send(articles)
            except Exception as exc:  # Kafka unavailable: nothing marked seen, all re-tried
                raise FetchError(
                    "publish_failed", f"{feed.name}: publishing failed: {exc!r}"
                ) from exc
            self.stats.publish_seconds += time.perf_counter() - started
            self.stats.items_published += len(articles)
            await self.registry.mark_seen(feed.id, [i.key for i in fresh])
        await self._succeeded(
            feed, fetched.seconds, fresh, fetched.etag, fetched.last_modified, newest
        )

    async def _succeeded(
        self,
        feed: Subscription,
        seconds: float,
        fresh: list[FeedItem],
        etag: str | None,
        last_modified: str | None,
        newest: float | None,
    ) -> None:
        delay = self._delay(feed, 0)
        await self.registry.record_poll(
            feed.id,
            next_poll_at=self.clock() + delay,
            failures=0,
            etag=etag,
            last_modified=last_modified,
        )
        self.health.observe_success(feed.name, seconds, len(fresh), newest)

    async def _article(self, feed: Subscription, item: FeedItem) -> RawArticle:
        extraction, how = await self._extract_page(item)
        summary = summary_text(item.summary) if item.summary else ""
        body = extraction.text if extraction else summary
        return RawArticle(
            body=body,
            title=item.title or (extraction.title if extraction else None),
            url=item.link,
            published=item.published or (extraction.date if extraction else None),
            source=feed.name,
            external_id=_external_id(item.key),
            extraction=how,
        )

    async def _extract_page(self, item: FeedItem) -> tuple[Extraction | None, str]:
        if not self.options.fetch_pages:
            return None, "feed_summary:pages_off"
        if not item.link:
            return None, "feed_summary:no_link"
        try:
            async with self._host_slot(item.link):
                page = await self.fetcher.fetch(
                    item.link, accept=PAGE_TYPES, max_bytes=self.options.max_page_bytes
                )
        except FetchError as exc:
            log.info("page not fetched, feed text used: %s", exc.message)
            return None, f"feed_summary:{exc.reason}"
        self.stats.pages_fetched += 1
        self.stats.fetch_seconds += page.seconds
        loop = asyncio.get_running_loop()
        try:
            extraction, seconds = await loop.run_in_executor(
                self.executor, _timed_extract, page.body, page.url
            )
        except Exception as exc:  # one page trafilatura chokes on must not stop the feed
            log.warning("extraction failed for %s: %r", item.link, exc)
            return None, "feed_summary:extract_failed"
        self.stats.extract_seconds += seconds
        if extraction is None:
            return None, "feed_summary:no_text"
        return extraction, "trafilatura"

    async def poll_due(self) -> list[PollResult]:
        """Claim and poll every due feed, at most `concurrency` at once."""
        now = self.clock()
        due = await self.registry.due(now)

        async def claimed_poll(feed: Subscription) -> PollResult | None:
            async with self._overall:
                lease_until = now + LEASE_SECONDS
                if not await self.registry.claim(feed.id, now, lease_until):
                    return None  # another worker sharing the registry took it
                try:
                    return await self.poll(feed)
                except asyncio.CancelledError:  # stopped mid-poll: due again at once
                    await self.registry.release(feed.id, lease_until, feed.next_poll_at)
                    raise

        results = await asyncio.gather(*(claimed_poll(f) for f in due), return_exceptions=True)
        done: list[PollResult] = []
        for feed, result in zip(due, results, strict=True):
            if isinstance(result, BaseException):  # a bug or the registry failing: say which
                log.error("polling feed %s failed", feed.name, exc_info=result)
            elif result is not None:
                done.append(result)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until `stop` is set; an unexpected error is logged, never fatal."""
        while not stop.is_set():
            try:
                await self.poll_due()
                next_due = await self.registry.next_due_at()
            except Exception:  # the worker keeps running: log loudly and try again later
                log.exception("feed polling failed; retrying in %.0f s", IDLE_SECONDS)
                next_due = None
            wait = IDLE_SECONDS if next_due is None else next_due - self.clock()
            wait = min(max(wait, 0.05), IDLE_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
