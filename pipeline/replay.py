"""Replay: news.raw from the beginning into a fresh, separate pipeline (topics, group, store).

A replay never touches the live pipeline: its topics carry their own prefix, its worker
its own consumer group and app id (so its story index is a new table), its store its own
file. What it copies is news.raw as it stands when the replay starts: every partition
from its earliest retained offset up to the end offset of that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["copy_topic", "replay_names"]


async def _partitions(bootstrap: str, topic: str) -> list[int]:
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


def replay_names(name: str, topic_prefix: str, app_id: str, data_dir: str) -> dict[str, str]:
    """The settings (as NEWSWIRE_* variables) that make replay `name` a separate pipeline."""
    return {
        "NEWSWIRE_TOPIC_PREFIX": f"{topic_prefix}{name}.",
        "NEWSWIRE_APP_ID": f"{app_id}-{name}",
        "NEWSWIRE_STORE_URL": f"sqlite:///{data_dir}/{name}.db",
    }


async def copy_topic(
    bootstrap: str,
    source: str,
    sink: str,
    *,
    max_request_size: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Copy `source` (earliest → its end offsets now) to `sink`, keys and timestamps kept.

    Partition n goes to partition n, so per-key order is kept. Returns the records copied;
    `progress(done, total)` is called after each fetched batch.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        client_id=f"newswire-replay-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_request_size=max_request_size
    )
    await consumer.start()
    await producer.start()
    try:
        partitions = [TopicPartition(source, p) for p in await _partitions(bootstrap, source)]
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
                    await producer.send(
                        sink, m.value, key=m.key, partition=tp.partition, timestamp_ms=m.timestamp
                    )
                    done += 1
                if messages and messages[-1].offset + 1 >= end[tp]:
                    remaining.discard(tp)
            progress(done, total)
        await producer.flush()
        return done
    finally:
        await producer.stop()
        await consumer.stop()
