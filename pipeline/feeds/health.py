"""Per-source health: last success, last error and why, items/hour, median fetch, freshness.

`FeedHealth` keeps, per feed name, what the poller reported; `snapshot()` is the JSON the
dashboard's Sources panel and `GET /api/feeds` show. The same reports go to Prometheus
(`pipeline.metrics.FEED_METRICS`), labelled by feed name, never by URL.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from pipeline.metrics import FeedMetrics
from pipeline.windows import Clock

__all__ = ["FeedHealth", "SourceHealth"]

FETCH_SAMPLES: Final = 50  # fetch times kept per feed for the median
ITEM_SPAN: Final = 3600.0  # items/hour is counted over the last hour


@dataclass
class SourceHealth:
    """One feed's figures since the worker started."""

    name: str
    polls: int = 0
    items: int = 0
    last_success_at: float | None = None
    last_error_at: float | None = None
    last_error_reason: str | None = None
    last_error: str | None = None
    newest_item_at: float | None = None
    fetch_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=FETCH_SAMPLES))
    item_times: deque[tuple[float, int]] = field(default_factory=deque)

    def items_per_hour(self, now: float) -> float:
        while self.item_times and self.item_times[0][0] < now - ITEM_SPAN:
            self.item_times.popleft()
        return float(sum(n for _, n in self.item_times))

    def asdict(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "polls": self.polls,
            "items": self.items,
            "items_per_hour": self.items_per_hour(now),
            "last_success_at": self.last_success_at,
            "last_error_at": self.last_error_at,
            "last_error_reason": self.last_error_reason,
            "last_error": self.last_error,
            "median_fetch_seconds": (
                statistics.median(self.fetch_seconds) if self.fetch_seconds else None
            ),
            "freshness_seconds": (
                None if self.newest_item_at is None else max(0.0, now - self.newest_item_at)
            ),
            "ok": self.last_success_at is not None
            and (self.last_error_at is None or self.last_error_at < self.last_success_at),
        }


class FeedHealth:
    """The health of every feed this process polls (tests make their own, with a clock)."""

    def __init__(self, clock: Clock = time.time, metrics: FeedMetrics | None = None) -> None:
        self.clock = clock
        self.metrics = metrics
        self.sources: dict[str, SourceHealth] = {}

    def _source(self, name: str) -> SourceHealth:
        source = self.sources.get(name)
        if source is None:
            source = self.sources[name] = SourceHealth(name)
        return source

    def observe_success(
        self, name: str, fetch_seconds: float, new_items: int, newest_item_at: float | None
    ) -> None:
        """A poll of `name` worked: fetched in `fetch_seconds`, published `new_items`."""
        source = self._source(name)
        now = self.clock()
        source.polls += 1
        source.items += new_items
        source.last_success_at = now
        source.fetch_seconds.append(fetch_seconds)
        if new_items:
            source.item_times.append((now, new_items))
        if newest_item_at is not None and (
            source.newest_item_at is None or newest_item_at > source.newest_item_at
        ):
            source.newest_item_at = newest_item_at
        if self.metrics is not None:
            m = self.metrics
            m.polls.labels(name, "ok").inc()
            m.items.labels(name).inc(new_items)
            m.fetch_seconds.labels(name).observe(fetch_seconds)
            m.last_success.labels(name).set(now)
            if source.newest_item_at is not None:
                m.newest_item.labels(name).set(source.newest_item_at)

    def observe_error(self, name: str, reason: str, message: str) -> None:
        """A poll of `name` failed for `reason` (a stable code; `message` says more)."""
        source = self._source(name)
        source.polls += 1
        source.last_error_at = self.clock()
        source.last_error_reason = reason
        source.last_error = message[:300]
        if self.metrics is not None:
            self.metrics.polls.labels(name, "error").inc()
            self.metrics.errors.labels(name, reason).inc()

    def forget(self, names: set[str]) -> None:
        """Drop the figures of feeds no longer subscribed (keeps only `names`)."""
        for name in list(self.sources):
            if name not in names:
                del self.sources[name]

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every source's figures as JSON-able data, by feed name."""
        now = self.clock()
        return {name: s.asdict(now) for name, s in sorted(self.sources.items())}
