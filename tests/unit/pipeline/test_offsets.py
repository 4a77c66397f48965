"""The offset ledger: a commit point moves only over offsets whose work is done."""

from __future__ import annotations

import asyncio

import pytest
from clock import FakeClock

from pipeline.commits import LEDGER, in_flight
from pipeline.offsets import OffsetLedger

TP = ("news.raw", 0)


def test_the_commit_point_moves_over_a_contiguous_run_of_done_offsets() -> None:
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.start(TP, 10)
    ledger.taken(TP, range(10, 20))
    ledger.done(TP, range(12, 20))  # a later batch finished first
    assert ledger.to_commit([TP]) == {}
    ledger.done(TP, [10, 11])
    assert ledger.to_commit([TP]) == {TP: 20}
    assert ledger.to_commit([TP]) == {}  # handed out once


def test_a_failed_or_cancelled_batch_never_counts_as_done() -> None:
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.start(TP, 0)
    ledger.taken(TP, range(0, 5))
    ledger.released(TP, range(0, 5))
    ledger.taken(TP, range(5, 10))
    ledger.done(TP, range(5, 10))
    assert ledger.base(TP) == 0
    assert ledger.to_commit([TP]) == {}


def test_the_first_commit_of_a_partition_never_jumps_over_its_start() -> None:
    # Faust skipped its gap-at-the-head check when the committed offset was None or 0.
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.taken(TP, range(300, 400))
    ledger.done(TP, range(300, 400))  # before the start is known (stale or early work)
    assert ledger.base(TP) is None  # no commit point until the start is known
    ledger.start(TP, 0)
    assert ledger.to_commit([TP]) == {}
    ledger.done(TP, range(0, 300))
    assert ledger.to_commit([TP]) == {TP: 400}


def test_one_missing_offset_just_above_the_commit_point_holds_it() -> None:
    # Faust let `min(acked) - committed == 1` through: offset 31 lost behind a commit at 31.
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.start(TP, 31)
    ledger.done(TP, range(32, 40))
    assert ledger.to_commit([TP]) == {}


def test_work_below_the_start_is_dropped_and_a_restart_resets() -> None:
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.start(TP, 50)
    ledger.done(TP, range(40, 50))  # redelivered, already committed
    assert ledger.base(TP) == 50
    ledger.forget(TP)
    assert ledger.base(TP) is None
    ledger.start(TP, 45)
    ledger.done(TP, range(45, 48))
    assert ledger.to_commit([TP]) == {TP: 48}


def test_a_failed_commit_is_handed_out_again() -> None:
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger()
    ledger.start(TP, 0)
    ledger.done(TP, range(0, 3))
    offsets = ledger.to_commit([TP])
    ledger.uncommitted(offsets)
    assert ledger.to_commit([TP]) == {TP: 3}


def test_a_hole_is_reported_after_the_grace_and_skipped_when_kafka_has_no_record() -> None:
    clock = FakeClock(100.0)
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger(clock)
    ledger.start(TP, 0)
    ledger.taken(TP, range(0, 5))
    ledger.done(TP, range(0, 5))
    ledger.taken(TP, range(8, 10))  # 5-7 never reached the agent
    ledger.done(TP, range(8, 10))
    assert ledger.holes(grace=2) == []
    clock.now += 2
    assert ledger.holes(grace=2) == [(TP, 5)]
    ledger.skip(TP, 5, 8)  # Kafka: the first record at or after 5 is at 8
    assert ledger.holes(grace=2) == []
    assert ledger.to_commit([TP]) == {TP: 10}


def test_records_in_flight_are_no_hole() -> None:
    clock = FakeClock(100.0)
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger(clock)
    ledger.start(TP, 0)
    ledger.taken(TP, range(0, 10))
    ledger.done(TP, range(5, 10))
    clock.now += 60
    assert ledger.holes(grace=2) == []


def test_a_partition_with_records_past_its_commit_point_and_no_progress_is_stalled() -> None:
    clock = FakeClock(100.0)
    ledger: OffsetLedger[tuple[str, int]] = OffsetLedger(clock)
    ledger.start(TP, 0)
    ledger.taken(TP, range(0, 5))
    ledger.done(TP, range(0, 5))
    clock.now += 30
    assert ledger.stalled({TP: 5}, grace=30) == []  # nothing past the commit point
    assert ledger.stalled({TP: 9}, grace=30) == [(TP, 5)]
    ledger.taken(TP, [5])
    assert ledger.stalled({TP: 9}, grace=30) == []  # in flight
    assert ledger.busy(TP)


class _Message:
    def __init__(self, tp: tuple[str, int], offset: int) -> None:
        self.tp, self.offset = tp, offset


class _Event:
    def __init__(self, tp: tuple[str, int], offset: int) -> None:
        self.message = _Message(tp, offset)


def test_a_batch_counts_done_only_when_its_block_ends_normally() -> None:
    tp = ("test.in_flight", 0)
    LEDGER.start(tp, 0)
    events = [_Event(tp, n) for n in range(3)]
    with pytest.raises(RuntimeError), in_flight(events):  # type: ignore[arg-type]
        raise RuntimeError("the batch failed")
    with pytest.raises(asyncio.CancelledError), in_flight(events):  # type: ignore[arg-type]
        raise asyncio.CancelledError  # a stop or a rebalance cut it short
    assert LEDGER.base(tp) == 0
    assert not LEDGER.busy(tp)  # released, so a hole can be seen and read again
    with in_flight(events):  # type: ignore[arg-type]
        pass
    assert LEDGER.base(tp) == 3
    LEDGER.forget(tp)


def test_a_record_delivered_twice_is_worked_on_once() -> None:
    tp = ("test.twice", 0)
    LEDGER.start(tp, 0)
    first = [_Event(tp, n) for n in range(4)]
    with in_flight(first[:2]) as fresh:  # type: ignore[arg-type]
        assert [e.message.offset for e in fresh] == [0, 1]
        # Faust's seek hands 0-3 on again while 0 and 1 are still being worked on.
        with in_flight(first) as again:  # type: ignore[arg-type]
            assert [e.message.offset for e in again] == [2, 3]
    assert LEDGER.base(tp) == 4
    with in_flight([*first, _Event(tp, 4), _Event(tp, 4)]) as fresh:  # type: ignore[arg-type]
        assert [e.message.offset for e in fresh] == [4]  # done ones and a repeat left out
    assert LEDGER.base(tp) == 5
    LEDGER.forget(tp)


def test_a_released_record_delivered_again_is_worked_on() -> None:
    tp = ("test.released", 0)
    LEDGER.start(tp, 0)
    events = [_Event(tp, n) for n in range(2)]
    with pytest.raises(RuntimeError), in_flight(events):  # type: ignore[arg-type]
        raise RuntimeError("the batch failed")
    with in_flight(events) as fresh:  # type: ignore[arg-type]
        assert len(fresh) == 2
    assert LEDGER.base(tp) == 2
    LEDGER.forget(tp)
