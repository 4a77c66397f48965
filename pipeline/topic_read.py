"""Reading a whole topic as it stands: every partition, earliest retained offset → end now."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["partitions_of", "read_topic"]


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of `topic`; LookupError if it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # list_topics first: a metadata request for a named topic may auto-create it.
        if topic not in await admin.list_topics():
            raise LookupError(f"topic {topic!r} does not exist on {bootstrap}")
        (meta,) = await admin.describe_topics([topic])
        return sorted(p["partition"] for p in meta["partitions"])
    finally:
        await admin.close()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from the earliest retained offset up to the end offsets of
    the moment the read starts, partition by partition in offset order, in no consumer
    group (nothing is committed). `progress(done, total)` is called after each fetch."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        client_id=f"newswire-read-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await consumer.start()
        partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        start = {tp: await consumer.position(tp) for tp in partitions}
        end = await consumer.end_offsets(partitions)
        total = sum(end[tp] - start[tp] for tp in partitions)
        remaining = {tp for tp in partitions if end[tp] > start[tp]}
        done = 0
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batches.items():
                for m in messages:
                    if m.offset >= end[tp]:
                        break
                    done += 1
                    yield m
            # By position, not by the last record: control records (transactions) take
            # offsets too, and the end may be one of them.
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            progress(done, total)
    finally:
        await consumer.stop()
