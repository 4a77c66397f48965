"""Consumer lag from Faust's consumer: end offsets minus what this worker has committed.

For each assigned partition of the pipeline's topics: the end offset (asked of the broker) minus
the offset this worker last committed (the app's monitor, `CommitMonitor`, records every
commit), or, before its first commit, the consumer's position, which then is the group's
committed offset it started from. Only public consumer calls are used: `assignment()`,
`highwaters()`, `position()`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from faust.sensors import Monitor
from faust.types import TP, ConsumerT

__all__ = ["CommitMonitor", "lag_by_partition", "measure_consumer_lag", "pipeline_assignment"]


class CommitMonitor(Monitor):
    """Faust's Monitor keeping only what newswire reads: `tp_committed_offsets` (per commit).

    Faust calls its monitor for every message and stream event in every hop (and every send
    and table access) to keep statistics newswire never shows; `pipeline.metrics` measures
    what the dashboard needs. Those per-record hooks do nothing here; commits, rebalances and
    web requests (rare) are still recorded as in Monitor.
    """

    def on_message_in(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_stream_event_in(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_stream_event_out(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_message_out(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_topic_buffer_full(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_send_initiated(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_send_completed(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_table_get(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_table_set(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_table_del(self, *args: Any, **kwargs: Any) -> None:
        return None


def lag_by_partition(
    assigned: Iterable[TP], ends: Mapping[TP, int], done: Mapping[TP, int | None]
) -> dict[tuple[str, int], int]:
    """(topic, partition) → end offset - done offset, for partitions where both are known."""
    lags: dict[tuple[str, int], int] = {}
    for tp in assigned:
        end, offset = ends.get(tp), done.get(tp)
        if end is not None and offset is not None:
            lags[tp.topic, tp.partition] = max(0, end - offset)
    return lags


def pipeline_assignment(consumer: ConsumerT, topics: Collection[str]) -> set[TP]:
    """The pipeline partitions assigned to this worker (none before the consumer starts)."""
    try:
        assigned = consumer.assignment()
    except Exception:  # ConsumerNotStarted, or the consumer is closing
        return set()
    return {tp for tp in assigned if tp.topic in topics}


async def measure_consumer_lag(
    consumer: ConsumerT, committed: Mapping[TP, int], topics: Collection[str]
) -> dict[tuple[str, int], int]:
    """The lag of every partition of `topics` assigned to this worker."""
    assigned = pipeline_assignment(consumer, topics)
    if not assigned:
        return {}
    ends = await consumer.highwaters(*assigned)
    done: dict[TP, int | None] = {}
    for tp in assigned:
        offset = committed.get(tp)
        done[tp] = offset if offset is not None else await consumer.position(tp)
    return lag_by_partition(assigned, ends, done)
