"""Replay: news.raw from the beginning into a fresh, separate pipeline (topics, group, store).

A replay never touches the live pipeline: its topics carry their own prefix, its worker
its own consumer group and app id (so its story index is a new table), its store its own
file. What it copies is news.raw as it stands when the replay starts: every partition
from its earliest retained offset up to the end offset of that moment.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from pipeline.topic_read import read_topic

__all__ = ["copy_topic", "replay_names"]


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
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_request_size=max_request_size
    )
    await producer.start()
    try:
        done = 0
        async for m in read_topic(bootstrap, source, progress=progress):
            await producer.send(
                sink, m.value, key=m.key, partition=m.partition, timestamp_ms=m.timestamp
            )
            done += 1
        await producer.flush()
        return done
    finally:
        await producer.stop()
