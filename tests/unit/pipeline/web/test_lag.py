"""Consumer lag: end offsets minus committed (or, before a commit, the position)."""

from faust.types import TP
from faust.types.tuples import Message

from pipeline.web.lag import CommitMonitor, lag_by_partition, measure_consumer_lag

RAW0, RAW1, LEADER = TP("news.raw", 0), TP("news.raw", 1), TP("app-__assignor-__leader", 0)


class FakeConsumer:
    """Faust's consumer API as far as the lag reads it: assignment, end offsets, positions."""

    def assignment(self) -> set[TP]:
        return {RAW0, RAW1, LEADER}

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: {RAW0: 10, RAW1: 7, LEADER: 3}[tp] for tp in tps}

    async def position(self, tp: TP) -> int | None:
        return {RAW0: 9, RAW1: 2}.get(tp)


def test_lag_is_end_minus_done_and_never_negative() -> None:
    ends, done = {RAW0: 10, RAW1: 5}, {RAW0: 4, RAW1: 6}
    assert lag_by_partition([RAW0, RAW1], ends, done) == {("news.raw", 0): 6, ("news.raw", 1): 0}
    assert lag_by_partition([RAW0], {}, done) == {}  # no end offset: unknown, not zero


async def test_committed_offsets_win_and_positions_fill_in() -> None:
    lags = await measure_consumer_lag(FakeConsumer(), {RAW0: 4}, {"news.raw"})  # type: ignore[arg-type]
    assert lags == {("news.raw", 0): 6, ("news.raw", 1): 5}  # the leader topic is not ours


async def test_no_assignment_no_lag() -> None:
    assert await measure_consumer_lag(FakeConsumer(), {}, {"other"}) == {}  # type: ignore[arg-type]


def test_commit_monitor_keeps_commits_and_skips_per_record_statistics() -> None:
    monitor = CommitMonitor()
    message = Message("news.raw", 0, 41, 0.0, 0, None, None, b"k", b"v", None)
    monitor.on_message_in(RAW0, 41, message)
    state = monitor.on_stream_event_in(RAW0, 41, None, None)  # type: ignore[arg-type]
    monitor.on_stream_event_out(RAW0, 41, None, None, state)  # type: ignore[arg-type]
    monitor.on_message_out(RAW0, 41, message)
    assert (monitor.messages_received_total, monitor.events_total) == (0, 0)
    assert message.time_in is None  # nothing stamped on the record either
    monitor.on_tp_commit({RAW0: 42})
    assert monitor.tp_committed_offsets == {RAW0: 42}


def test_the_app_uses_the_commit_monitor() -> None:
    from pipeline.app import app

    assert isinstance(app.monitor, CommitMonitor)
