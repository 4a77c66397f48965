"""Rolling windows over the last minutes: event rates and latency percentiles, bounded memory.

Time is cut into fixed slots; a window keeps only the slots that overlap its span and forgets
older ones, so memory is bounded by span / slot whatever the traffic. The clock is injected
(`clock()` returns seconds), so tests drive time by hand.

Percentiles come from a log-bucketed histogram per slot, the idea of HdrHistogram: bucket i
holds values in [LOW·G^i, LOW·G^(i+1)) with G = 1.1, and a percentile is reported as the
geometric middle of its bucket, LOW·G^(i+1/2), clamped to the smallest and largest value seen.
For a value v in bucket i the middle lies within a factor √G of v, so the relative error is at
most √G - 1 ≈ 4.9%. The percentile is nearest-rank: the smallest value with at least q·n of
the n samples at or below it. Values below LOW (100 µs) share bucket 0; values above
HIGH (1 h) share the last bucket; negative values count as 0.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["GROWTH", "HIGH", "LOW", "Clock", "LatencyWindow", "Percentiles", "RateWindow"]

Clock = Callable[[], float]

LOW = 1e-4
HIGH = 3600.0
GROWTH = 1.1
_LOG_GROWTH = math.log(GROWTH)
_BUCKETS = math.ceil(math.log(HIGH / LOW) / _LOG_GROWTH) + 1


def _bucket(value: float) -> int:
    if value <= LOW:
        return 0
    return min(int(math.log(value / LOW) / _LOG_GROWTH), _BUCKETS - 1)


def _middle(bucket: int) -> float:
    return LOW * math.exp((bucket + 0.5) * _LOG_GROWTH)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50/p95/p99 of `count` samples, in seconds (None when there were no samples)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None

    def asdict(self) -> dict[str, float | int | None]:
        return {"count": self.count, "p50": self.p50, "p95": self.p95, "p99": self.p99}


@dataclass(slots=True)
class _Slot:
    index: int
    count: int = 0
    low: float = math.inf
    high: float = -math.inf
    buckets: dict[int, int] = field(default_factory=dict)

    def add(self, value: float) -> None:
        self.count += 1
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        b = _bucket(value)
        self.buckets[b] = self.buckets.get(b, 0) + 1


def _percentiles(slots: Iterable[_Slot]) -> Percentiles:
    merged: dict[int, int] = {}
    count, low, high = 0, math.inf, -math.inf
    for s in slots:
        count += s.count
        low, high = min(low, s.low), max(high, s.high)
        for b, n in s.buckets.items():
            merged[b] = merged.get(b, 0) + n
    if count == 0:
        return Percentiles(0, None, None, None)
    ordered = sorted(merged.items())

    def at(q: float) -> float:
        rank = max(1, math.ceil(q * count))
        seen = 0
        for b, n in ordered:
            seen += n
            if seen >= rank:
                return min(max(_middle(b), low), high)
        return high  # pragma: no cover - seen reaches count

    return Percentiles(count, at(0.50), at(0.95), at(0.99))


class RateWindow:
    """Counts of events in `slot`-second slots over the last `span` seconds.

    `rate(last)` is events per second over the last `last` seconds, counting the current
    (partial) slot and dividing by the time actually covered: never more than the time since
    `started` (default: creation), so a window 10 s old reports its 10-second rate.
    """

    def __init__(
        self,
        span: float = 600.0,
        slot: float = 1.0,
        clock: Clock = time.time,
        started: float | None = None,
    ) -> None:
        if span < slot or slot <= 0:
            raise ValueError(f"need 0 < slot <= span, got slot={slot}, span={span}")
        self.span, self.slot, self.clock = span, slot, clock
        self.started = clock() if started is None else started
        self._slots: deque[list[int]] = deque()  # [slot index, count], oldest first

    def add(self, count: int = 1, now: float | None = None) -> None:
        """Count `count` events at `now` (default: the clock)."""
        index = math.floor((self.clock() if now is None else now) / self.slot)
        if self._slots and self._slots[-1][0] >= index:  # this slot (or late: counted now)
            self._slots[-1][1] += count
        else:
            self._slots.append([index, count])
        self._forget(index)

    def _forget(self, current: int) -> None:
        oldest = current - math.ceil(self.span / self.slot) + 1
        while self._slots and self._slots[0][0] < oldest:
            self._slots.popleft()

    def _covered(self, now: float, first: int) -> float:
        return now - max(first * self.slot, self.started)

    def count(self, last: float) -> int:
        """Events in the slots overlapping the last `last` seconds."""
        now = self.clock()
        first = math.floor((now - last) / self.slot) + 1
        return sum(n for index, n in self._slots if index >= first)

    def rate(self, last: float) -> float:
        """Events per second over the last `last` seconds (0.0 before any time has passed)."""
        now = self.clock()
        first = math.floor((now - last) / self.slot) + 1
        covered = self._covered(now, first)
        total = sum(n for index, n in self._slots if index >= first)
        return total / covered if covered > 0 else 0.0

    def series(self, last: float, step: float) -> list[float]:
        """Rates per `step` seconds over the last `last` seconds, oldest first.

        Steps are aligned to multiples of `step` (a whole number of slots), so a point does
        not move between calls; the newest point is the current, partial step.
        """
        now = self.clock()
        per = max(1, round(step / self.slot))
        width = per * self.slot
        current = math.floor(now / self.slot) // per
        points = max(1, math.ceil(last / width))
        counts = [0] * points
        for index, n in self._slots:
            back = current - index // per
            if 0 <= back < points:
                counts[points - 1 - back] += n
        rates: list[float] = []
        for i, n in enumerate(counts):
            start = (current - (points - 1 - i)) * width
            covered = min(start + width, now) - max(start, self.started)
            rates.append(n / covered if covered > 0 else 0.0)
        return rates


class LatencyWindow:
    """Latency samples (seconds) over the last `span` seconds, for percentiles and a chart."""

    def __init__(self, span: float = 300.0, slot: float = 10.0, clock: Clock = time.time) -> None:
        if span < slot or slot <= 0:
            raise ValueError(f"need 0 < slot <= span, got slot={slot}, span={span}")
        self.span, self.slot, self.clock = span, slot, clock
        self._slots: deque[_Slot] = deque()

    def observe(self, seconds: float, now: float | None = None) -> None:
        """Record one latency of `seconds` at `now` (default: the clock)."""
        index = math.floor((self.clock() if now is None else now) / self.slot)
        slots = self._slots
        if slots and slots[-1].index >= index:  # this slot (or late: counted now)
            slots[-1].add(max(0.0, seconds))
        else:
            self.observe_many((seconds,), now)

    def observe_many(self, values: Sequence[float], now: float | None = None) -> None:
        """Record several latencies observed at the same moment."""
        index = math.floor((self.clock() if now is None else now) / self.slot)
        if not self._slots or self._slots[-1].index < index:
            self._slots.append(_Slot(index))
        slot = self._slots[-1]
        for v in values:
            slot.add(max(0.0, v))
        oldest = index - math.ceil(self.span / self.slot) + 1
        while self._slots and self._slots[0].index < oldest:
            self._slots.popleft()

    def _live(self) -> list[_Slot]:
        oldest = math.floor(self.clock() / self.slot) - math.ceil(self.span / self.slot) + 1
        return [s for s in self._slots if s.index >= oldest]

    def percentiles(self) -> Percentiles:
        """p50/p95/p99 over the whole window."""
        return _percentiles(self._live())

    def series(self) -> list[tuple[float, Percentiles]]:
        """(slot start, percentiles of that slot) for each slot with samples, oldest first."""
        return [(s.index * self.slot, _percentiles((s,))) for s in self._live()]
