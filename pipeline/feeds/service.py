"""The live sources, built from `Settings`: the feed poller and the news.raw producer.

`Sources` owns one news.raw producer (shared by the poller and `POST /api/articles`),
the feed registry, the fetch session, the extraction executor and the health figures.
The worker starts it as a Faust service (`pipeline.feeds.worker_service`);
`newswire feeds run` runs it on its own until interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from pipeline.feeds.feedlist import FeedListError, read_feed_list
from pipeline.feeds.fetcher import Fetcher, FetchLimits, guarded_session
from pipeline.feeds.health import FeedHealth
from pipeline.feeds.poller import FeedPoller, PollOptions
from pipeline.feeds.registry import FeedRegistry
from pipeline.feeds.schedule import parse_interval
from pipeline.feeds.sink import KafkaRawSink
from pipeline.metrics import FEED_METRICS
from pipeline.processes import ignore_interrupts
from pipeline.settings import Settings
from pipeline.topology import RAW

__all__ = ["Sources", "fetch_limits", "make_executor", "poll_options", "sync_feeds_file"]

log = logging.getLogger(__name__)


def fetch_limits(settings: Settings) -> FetchLimits:
    """The fetcher's limits from the settings."""
    return FetchLimits(
        max_bytes=settings.fetch_max_page_bytes,
        total_seconds=settings.fetch_timeout_seconds,
        read_seconds=settings.fetch_read_timeout_seconds,
        max_redirects=settings.fetch_max_redirects,
        user_agent=settings.fetch_user_agent,
        allow_private=settings.allow_private_fetch,
        trusted_hosts=frozenset(
            h.strip().lower() for h in settings.fetch_trusted_hosts.split(",") if h.strip()
        ),
    )


def poll_options(settings: Settings) -> PollOptions:
    """The poller's options from the settings."""
    return PollOptions(
        concurrency=settings.feeds_concurrency,
        per_host=settings.feeds_per_host,
        jitter=settings.feeds_jitter,
        max_backoff_seconds=settings.feeds_max_backoff_seconds,
        fetch_pages=settings.feeds_fetch_pages,
        max_feed_bytes=settings.fetch_max_feed_bytes,
        max_page_bytes=settings.fetch_max_page_bytes,
    )


def make_executor(processes: int) -> Executor:
    """Where parsing and extraction run: `processes` spawned processes, or one thread (0)."""
    if processes <= 0:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="newswire-extract")
    # spawn: a forked child of a running event loop and Kafka client threads is unsafe.
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=ignore_interrupts,
    )


async def sync_feeds_file(registry: FeedRegistry, settings: Settings) -> int:
    """Subscribe every feed of `NEWSWIRE_FEEDS_FILE` (existing ones are updated)."""
    if settings.feeds_file is None:
        return 0
    default = parse_interval(settings.feeds_interval)
    entries = read_feed_list(settings.feeds_file)
    for entry in entries:
        await registry.add(entry.url, entry.name, entry.interval_seconds or default)
    return len(entries)


class Sources:
    """The producer, registry and poller of one process; `start`, then `run` or use `sink`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.health = FeedHealth(metrics=FEED_METRICS)
        self.sink = KafkaRawSink(
            settings.kafka_bootstrap,
            settings.topic_name(RAW),
            max_request_size=settings.max_message_bytes,
        )
        self.registry: FeedRegistry | None = None
        self.poller: FeedPoller | None = None
        self._executor: Executor | None = None
        self._stop = asyncio.Event()
        self._started = False
        self._ready = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None
        self._stopping = asyncio.Lock()

    async def start(self, *, poll: bool) -> None:
        """Start the producer; with `poll`, also the registry, fetch session and poller."""
        await self.sink.start()
        self._started = True
        if poll:
            await self._start_polling()
        self._ready.set()

    async def _start_polling(self) -> None:
        self.registry = await FeedRegistry.open(self.settings.resolved_store_url)
        try:
            synced = await sync_feeds_file(self.registry, self.settings)
        except (FeedListError, OSError, ValueError) as exc:
            log.error("feeds file not read: %s", exc)  # subscriptions in the store still run
        else:
            if synced:
                log.info("feeds file %s: %d feeds", self.settings.feeds_file, synced)
        limits = fetch_limits(self.settings)
        session = guarded_session(limits, per_host=self.settings.feeds_per_host)
        self._executor = make_executor(self.settings.feeds_extract_processes)
        self.poller = FeedPoller(
            self.registry,
            Fetcher(session, limits),
            self.sink,
            options=poll_options(self.settings),
            health=self.health,
            executor=self._executor,
        )
        if self.settings.allow_private_fetch:
            log.warning("NEWSWIRE_ALLOW_PRIVATE_FETCH is on: feeds may reach private addresses")

    async def wait_started(self, timeout: float) -> bool:
        """Whether the producer is up, waiting at most `timeout` seconds for `start`."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return self._started

    @property
    def published(self) -> int:
        """Articles the poller published (acknowledged by Kafka) since this started."""
        return self.poller.stats.items_published if self.poller is not None else 0

    async def run(self) -> None:
        """Poll due feeds until `stop()` (waits for `start` first)."""
        await self._ready.wait()
        if self.poller is None or self._stop.is_set():
            return
        self._polling = asyncio.ensure_future(self.poller.run(self._stop))
        await self._polling  # cancelling run() cancels the polling task with it

    async def stop(self) -> None:
        """Stop polling, then close the session, the executor, the registry and the producer.

        Polling ends first (a poll in flight is cancelled: before its first send it gives
        its claim back, after it it finishes), so nothing is closed under a running poll.
        """
        async with self._stopping:  # a second caller waits for the first to finish
            self._stop.set()
            self._ready.set()
            if self._polling is not None:
                polling, self._polling = self._polling, None
                polling.cancel()
                await asyncio.wait({polling})  # its end, without taking its cancellation
                if not polling.cancelled() and (exc := polling.exception()) is not None:
                    log.error("feed polling ended with an error", exc_info=exc)
            if self.poller is not None:
                await self.poller.fetcher.session.close()
            if self._executor is not None:
                executor, self._executor = self._executor, None
                # Off the loop: waits for a page being extracted, then the processes exit.
                await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
            if self.registry is not None:
                await self.registry.close()
            await self.sink.stop()  # also a producer whose start was cut short
            self._started = False
