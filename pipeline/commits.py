"""The pipeline commits its own input offsets, from `pipeline.offsets.OffsetLedger`.

Faust's own ack and commit bookkeeping is switched off for the pipeline topics (they are
declared with `acks=False`, see `pipeline.topics`), because it can commit past records that
were never processed:

- `Stream.take_events` acknowledges its whole batch in a `finally`, also when the loop body
  raised or was cancelled;
- the consumer treats a jump in the offsets it reads as a gap of offsets without records and
  counts them as acknowledged; after a rebalance's seek, a fetch made before the seek can
  still deliver later records first, so the records the seek asked for again are dropped
  as "already read" and the offsets between count as done;
- the check for a gap at the head of the acknowledged offsets is skipped while the
  committed offset is unknown or 0, and lets one missing offset through otherwise
  (`min(acked) - committed > 1`).

Here an agent wraps each batch in `in_flight(events)` and works on the events it yields
(a record delivered twice is worked on once): their offsets are taken on entry, done
when the block ends normally (after every output is acknowledged by Kafka or the store's
transaction committed), and released when it raises or is cancelled. A timer commits each
assigned partition up to its ledger's commit point; a revoke commits first; an assignment
starts the ledger at the group's committed offset. A hole (a record at the commit point
never reached the agent) is resolved by asking Kafka what is there: nothing (a transaction
marker: skipped) or a record, which the consumer is made to read again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from faust.types import TP, EventT

from pipeline.app import app, settings
from pipeline.offsets import OffsetLedger
from pipeline.topology import PIPELINE_TOPICS

__all__ = ["LEDGER", "in_flight"]

log = logging.getLogger(__name__)

COMMIT_INTERVAL = 1.0
"""Seconds between commits: what a crash makes the next owner read again, at most."""
HOLE_GRACE = 2.0
"""Seconds a hole must last before Kafka is asked about it (batches are in order)."""
STALL_GRACE = 30.0
"""Seconds without progress on a partition that has records past its commit point."""
FETCH_SECONDS = 1.5
"""Longer than Faust's consumer waits in one fetch (1 s)."""

LEDGER: OffsetLedger[TP] = OffsetLedger()
_INPUTS = frozenset(settings.topic_name(name) for name in PIPELINE_TOPICS)


def _offsets_by_partition(events: Sequence[EventT[Any]]) -> dict[TP, list[int]]:
    by_tp: dict[TP, list[int]] = defaultdict(list)
    for event in events:
        message = event.message
        by_tp[message.tp].append(message.offset)
    return by_tp


@contextmanager
def in_flight(events: Sequence[EventT[Any]]) -> Iterator[list[EventT[Any]]]:
    """Yield the events to work on: those not in flight or done already (a record delivered
    twice is worked on once). They count done when the block ends normally, and are
    released when it does not."""
    taken = {tp: LEDGER.take(tp, offsets) for tp, offsets in _offsets_by_partition(events).items()}
    left = {tp: set(offsets) for tp, offsets in taken.items()}
    fresh: list[EventT[Any]] = []
    for event in events:
        message = event.message
        if message.offset in left[message.tp]:
            left[message.tp].discard(message.offset)
            fresh.append(event)
    try:
        yield fresh
    except BaseException:
        for tp, offsets in taken.items():
            LEDGER.released(tp, offsets)
        raise
    for tp, offsets in taken.items():
        LEDGER.done(tp, offsets)


def _ours(tps: Set[TP]) -> set[TP]:
    return {tp for tp in tps if tp.topic in _INPUTS}


async def _commit(tps: Set[TP]) -> None:
    """Commit the commit points of `tps` that moved (only partitions still assigned)."""
    offsets = LEDGER.to_commit(_ours(tps) & app.consumer.assignment())
    if not offsets:
        return
    # The driver's commit (Faust's `Consumer.commit` would consult its own bookkeeping).
    committed = await cast(Any, app.consumer)._commit(offsets)
    if committed:
        app.monitor.on_tp_commit(offsets)
    else:
        LEDGER.uncommitted(offsets)


async def _committed_offsets(tps: Set[TP]) -> dict[TP, int]:
    """The group's committed offset of each of `tps`, or the log start where it has none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        await admin.start()
        answer = await admin.list_consumer_group_offsets(
            app.conf.id, partitions=[TopicPartition(tp.topic, tp.partition) for tp in tps]
        )
    finally:
        await admin.close()
    found = {TP(tp.topic, tp.partition): meta.offset for tp, meta in answer.items()}
    starts = await app.consumer.earliest_offsets(*[tp for tp in tps if found.get(tp, -1) < 0])
    return {tp: found[tp] if found.get(tp, -1) >= 0 else starts[tp] for tp in tps}


async def _first_offset_from(tp: TP, offset: int) -> int | None:
    """The offset of the first record of `tp` at or after `offset` (None: none yet)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        client_id=f"newswire-holes-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=settings.max_message_bytes,
    )
    try:
        await consumer.start()
        part = TopicPartition(tp.topic, tp.partition)
        consumer.assign([part])
        consumer.seek(part, offset)
        batches = await consumer.getmany(part, timeout_ms=5000, max_records=1)
        records = batches.get(part, [])
        if records:
            return int(records[0].offset)
        position = int(await consumer.position(part))
        return position if position > offset else None
    finally:
        await consumer.stop()


async def _resolve(tp: TP, offset: int) -> None:
    """A record at `offset` never reached the agent: skip it if none is there, else re-read."""
    first = await _first_offset_from(tp, offset)
    if first is None:
        return
    if first > offset:
        LEDGER.skip(tp, offset, first)
        log.info("%s[%d]: offsets %d-%d hold no records", tp.topic, tp.partition, offset, first)
        return
    log.warning(
        "%s[%d]@%d was never delivered to the agent: reading the partition again from there",
        tp.topic,
        tp.partition,
        offset,
    )
    await _read_again(tp, offset)


async def _read_again(tp: TP, offset: int) -> None:
    """Make the consumer deliver `tp` again from `offset`.

    A bare seek is not enough: records of `tp` fetched before it, still on their way to
    the agents, would be delivered first, and Faust's consumer then drops the records the
    seek asked for as already read. So the partition is paused (its records in transit are
    no longer handed on), sought, and resumed only after a fetch that began before the seek
    has had time to come back. If that still fails, the hole is found again and this runs
    again.
    """
    consumer = app.consumer
    consumer.pause_partitions([tp])
    try:
        await consumer.seek(tp, offset)
        await asyncio.sleep(FETCH_SECONDS)  # a fetch in progress returns within this time
    finally:
        if tp in consumer.assignment():
            consumer.resume_partitions([tp])


async def _start(tps: Set[TP]) -> None:
    for tp, base in (await _committed_offsets(tps)).items():
        if tp in app.consumer.assignment():
            LEDGER.start(tp, base)


async def _on_revoked(sender: Any, revoked: Set[TP], **_: Any) -> None:
    # Faust has cleared the agents' queues; what is done so far is committed now, while
    # the partitions are still this worker's, so the next owner starts from there.
    try:
        await _commit(revoked)
    finally:
        for tp in _ours(revoked):
            LEDGER.forget(tp)


async def _on_assigned(sender: Any, assigned: Set[TP], **_: Any) -> None:
    ours = _ours(assigned)
    if ours:
        try:
            await _start(ours)
        except (TimeoutError, KafkaError) as exc:  # the timer tries again
            log.warning("reading the committed offsets: %r", exc)


async def _commit_offsets() -> None:
    if app.rebalancing or app.should_stop:
        return
    assigned = _ours(app.consumer.assignment())
    try:
        missing = [tp for tp in assigned if LEDGER.base(tp) is None]
        if missing:  # an assignment whose start could not be read (e.g. the broker was down)
            await _start(set(missing))
        await _commit(assigned)
        holes = LEDGER.holes(HOLE_GRACE)
        # Stalls only where the agent has nothing in flight (a store that is down holds
        # up every partition of its topic, and that is not a stall to act on).
        busy = {tp.topic for tp in assigned if LEDGER.busy(tp)}
        ends = {tp: app.consumer.highwater(tp) for tp in assigned if tp.topic not in busy}
        stalled = LEDGER.stalled({tp: end for tp, end in ends.items() if end}, STALL_GRACE)
        for tp, offset in holes + stalled:
            await _resolve(tp, offset)
    except (TimeoutError, KafkaError) as exc:  # the broker is away: next time
        log.warning("committing offsets: %r; trying again in %g s", exc, COMMIT_INTERVAL)


cast(Any, app.on_partitions_revoked).connect(_on_revoked)
cast(Any, app.on_partitions_assigned).connect(_on_assigned)
app.timer(interval=COMMIT_INTERVAL, name="newswire.commit_offsets")(_commit_offsets)
