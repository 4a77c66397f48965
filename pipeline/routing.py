"""How an agent moves one record: transform it and send it on, or dead-letter it with the reason.

Only `RejectedArticle` becomes a dead letter; any other exception is a bug and propagates,
so the worker logs it loudly instead of hiding it in the dead-letter topic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import faust
from faust.types import EventT

from pipeline import metrics
from pipeline.deadletter import dead_letter
from pipeline.errors import RejectedArticle
from pipeline.topics import topic
from pipeline.topology import DEADLETTER, Stage

__all__ = ["emit", "forward", "send_dead_letter"]

log = logging.getLogger(__name__)


async def send_dead_letter(event: EventT[bytes], stage: Stage, error: RejectedArticle) -> None:
    """Publish the dead letter for `event` (refused by `stage`) to news.deadletter."""
    message = event.message
    letter = dead_letter(
        error,
        stage=stage.name,
        original=event.value,
        failed_at=time.time(),
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key if isinstance(message.key, bytes) else None,
    )
    log.warning(
        "%s: dead letter %s[%s]@%s: %s: %s",
        stage.name,
        message.topic,
        message.partition,
        message.offset,
        error.reason,
        error.message,
    )
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    metrics.observe_dead_letter(stage.name, error.reason, error.message, where)
    await topic(DEADLETTER).send(key=message.key, value=letter.dumps())


async def forward(
    event: EventT[bytes], stage: Stage, transform: Callable[[bytes], faust.Record]
) -> None:
    """Send `transform(event.value)` to the stage's sink, keyed by the record's `id`."""
    started = time.perf_counter()
    try:
        record = transform(event.value)
    except RejectedArticle as error:
        await send_dead_letter(event, stage, error)
        return
    await emit(stage, record)
    metrics.observe_stage(stage.name, time.perf_counter() - started)


async def emit(stage: Stage, record: faust.Record) -> None:
    """Send `record` to the stage's sink topic, keyed by its `id`."""
    assert stage.sink is not None, f"{stage.name} has no sink topic"
    await topic(stage.sink).send(key=record.id.encode(), value=record.dumps())
