"""Rolling windows with a hand-driven clock: rates, expiry, percentiles within 5%."""

import math
import random

import pytest
from clock import FakeClock

from pipeline.windows import GROWTH, LatencyWindow, RateWindow


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_rate_divides_by_the_time_the_window_has_existed() -> None:
    clock = FakeClock(1000.0)
    window = RateWindow(span=600, slot=1, clock=clock)
    window.add(5)
    clock.now = 1010.0
    window.add(5)
    assert window.count(60) == 10
    assert window.rate(60) == 1.0  # 10 events in the 10 s since the window began


def test_rate_over_a_full_minute_counts_the_current_partial_slot() -> None:
    clock = FakeClock(0.0)
    window = RateWindow(span=600, slot=1, clock=clock)
    clock.now = 500.0
    for t in range(440, 500):  # one event per second, t = 440 … 499
        window.add(1, now=float(t))
    clock.now = 500.5
    # The last 60 s are slots 441 … 500: 59 whole slots with one event each, and 0.5 s of 500.
    assert window.count(60) == 59
    assert window.rate(60) == pytest.approx(59 / 59.5)


def test_old_slots_are_forgotten() -> None:
    clock = FakeClock(0.0)
    window = RateWindow(span=60, slot=1, clock=clock)
    window.add(100)
    clock.now = 61.0
    window.add(1)
    assert window.count(60) == 1
    assert window.count(600) == 1  # the 100 events left the 60-second span
    assert len(window._slots) == 1


def test_series_gives_one_rate_per_step_oldest_first() -> None:
    clock = FakeClock(0.0)
    window = RateWindow(span=60, slot=1, clock=clock)
    window.add(10, now=5.0)  # step [0, 10)
    window.add(20, now=25.0)  # step [20, 30)
    clock.now = 35.0  # current step [30, 40), 5 s old
    window.add(5, now=34.0)
    assert window.series(40, 10) == [1.0, 0.0, 2.0, 1.0]


def test_windows_reject_a_slot_longer_than_the_span() -> None:
    with pytest.raises(ValueError, match="slot"):
        RateWindow(span=1, slot=10)
    with pytest.raises(ValueError, match="slot"):
        LatencyWindow(span=1, slot=10)


def test_percentiles_of_nothing_are_none() -> None:
    p = LatencyWindow(clock=FakeClock()).percentiles()
    assert (p.count, p.p50, p.p95, p.p99) == (0, None, None, None)


def test_one_sample_is_reported_exactly() -> None:
    window = LatencyWindow(clock=FakeClock())
    window.observe(0.0421)
    p = window.percentiles()
    assert (p.count, p.p50, p.p95, p.p99) == (1, 0.0421, 0.0421, 0.0421)


def test_percentiles_are_within_the_stated_relative_error() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(math.log(0.05), 1.0) for _ in range(5000)]
    window = LatencyWindow(clock=FakeClock())
    window.observe_many(values)
    p = window.percentiles()
    bound = math.sqrt(GROWTH) - 1
    for q, got in ((0.5, p.p50), (0.95, p.p95), (0.99, p.p99)):
        exact = nearest_rank(values, q)
        assert got is not None
        assert abs(got - exact) / exact <= bound, (q, got, exact)


def test_latency_window_forgets_samples_older_than_its_span() -> None:
    clock = FakeClock(0.0)
    window = LatencyWindow(span=300, slot=10, clock=clock)
    window.observe(10.0)  # slot [0, 10)
    clock.now = 200.0
    window.observe(0.5)
    assert window.percentiles().count == 2
    clock.now = 305.0  # the first slot has left the window; the second has not
    assert window.percentiles().count == 1
    assert window.percentiles().p99 == 0.5
    assert [(at, p.count) for at, p in window.series()] == [(200.0, 1)]


def test_negative_latencies_count_as_zero() -> None:
    window = LatencyWindow(clock=FakeClock())
    window.observe(-3.0)
    assert window.percentiles().p50 == 0.0
