"""`newswire tail`: read an output topic like a console consumer made for news."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from pipeline.broker import BrokerError, wait_for_broker

__all__ = ["format_record", "tail_topic"]

_MAX_ENTITIES = 5


def _when(record: dict[str, Any]) -> str:
    published = record.get("published_at")
    if isinstance(published, str) and published:
        return published[:10]
    return "          "


def _decision(record: dict[str, Any]) -> str:
    kind = record.get("kind")
    if kind == "duplicate":
        return f"[duplicate of {record.get('duplicate_of')}]"
    if kind == "same_story":
        return f"[same story as {record.get('related_to')}]"
    return f"[{kind}]" if kind else ""


def format_record(record: dict[str, Any]) -> str:
    """One readable line for an output article or a dead letter (any other dict: its JSON)."""
    if "stage" in record and "reason" in record:
        where = f"{record.get('source_topic')}[{record.get('source_partition')}]"
        where += f"@{record.get('source_offset')}"
        return f"DEAD {record['stage']}: {record['reason']}: {record.get('message')} ({where})"
    if "id" in record and "title" in record:
        parts = [_when(record), record["id"], record["title"]]
        if decision := _decision(record):
            parts.append(decision)
        if source := record.get("source"):
            parts.append(f"· {source}")
        names = [e["text"] for e in record.get("entities") or []][:_MAX_ENTITIES]
        if names:
            parts.append("· " + ", ".join(names))
        return "  ".join(parts)
    return orjson.dumps(record).decode()


async def tail_topic(
    bootstrap: str,
    topic: str,
    emit: Callable[[bytes], None],
    *,
    from_beginning: bool = False,
    max_records: int | None = None,
    idle_timeout: float | None = None,
) -> int:
    """Feed each record's value on `topic` to `emit`; returns how many were read.

    Reads without a consumer group (nothing is committed, other subscribers are not
    disturbed). Stops after `max_records`, or after `idle_timeout` seconds with no record.
    No broker, or no such topic, is a `BrokerError` that says what to do.
    """
    await wait_for_broker(bootstrap, timeout=10)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        client_id=f"newswire-tail-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
    )
    seen = 0
    last = time.monotonic()
    try:
        await consumer.start()
        # Subscribing to a missing topic would wait for it for ever (no broker of ours
        # creates topics on request): say so instead.
        if topic not in await consumer.topics():
            raise BrokerError(
                f"topic {topic} does not exist on {bootstrap}: `newswire topics list` shows "
                "the pipeline's topics (`newswire topics create` makes them)"
            )
        consumer.subscribe([topic])
        while max_records is None or seen < max_records:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for message in messages:
                    if message.value is None:
                        continue
                    emit(message.value)
                    seen += 1
                    last = time.monotonic()
                    if seen == max_records:
                        return seen
            if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                break
    finally:
        await consumer.stop()
    return seen
