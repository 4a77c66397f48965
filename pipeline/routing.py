"""How an agent moves records: transform them and send them on, or dead-letter them with the reason.

- `relay(stream, stage, transform)`: the whole agent loop, in batches (`take_events`). Each
  batch is transformed, every record is handed to the producer without waiting on the one
  before, and the batch waits until Kafka has acknowledged all of them (`Outbox.delivered`);
  only then are the source offsets done (`pipeline.commits.in_flight`). A stage pays Faust's
  per-record cost of iteration and sending once per batch instead of once per record.

Only `RejectedArticle` becomes a dead letter; any other exception is a bug and propagates,
so the worker logs it loudly instead of hiding it in the dead-letter topic. A send Kafka
refuses for good (after the producer's own retries) propagates the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import cast

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError
from faust.streams import Stream
from faust.types import EventT, StreamT
from faust.types.tuples import RecordMetadata

from pipeline import metrics
from pipeline.app import app
from pipeline.commits import in_flight
from pipeline.deadletter import dead_letter
from pipeline.errors import RejectedArticle
from pipeline.retry import retry_forever
from pipeline.topics import topic
from pipeline.topology import DEADLETTER, Stage

__all__ = ["Outbox", "forward_batch", "relay"]

log = logging.getLogger(__name__)

Transform = Callable[[bytes], faust.Record]


def _kafka_name(name: str) -> str:
    # Looked up per record: the Topic's name (with the prefix) never changes.
    kafka_name = _KAFKA_NAMES.get(name)
    if kafka_name is None:
        kafka_name = _KAFKA_NAMES[name] = topic(name).get_topic_name()
    return kafka_name


_KAFKA_NAMES: dict[str, str] = {}

# What a send that may work next time raises: aiokafka's errors, and Faust's wrapper of them.
_SEND_ERRORS = (KafkaError, ProducerSendError)

# (Kafka topic name, key, value): a record on its way out.
_Outgoing = tuple[str, bytes | None, bytes]


async def _produce(outgoing: _Outgoing) -> Awaitable[RecordMetadata]:
    producer = await app.maybe_start_producer()
    name, key, value = outgoing
    return cast(Awaitable[RecordMetadata], await producer.send(name, key, value, None, None, None))


class Outbox:
    """The records one unit of work sends, and the wait until Kafka has all of them.

    Sends go straight to the app's producer (`ProducerT.send`): the record is appended to
    the producer's batch for its partition and a delivery future comes back, so a whole
    batch is in flight at once. Keys are partitioned as Faust's `Topic.send` does (the
    producer's default partitioner, murmur2 of the key).
    """

    def __init__(self) -> None:
        self._pending: list[tuple[_Outgoing, Awaitable[RecordMetadata]]] = []

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        """Hand one record for pipeline topic `name` (e.g. `news.clean`) to the producer."""
        outgoing = (_kafka_name(name), key, value)
        self._pending.append((outgoing, await _produce(outgoing)))

    async def emit(self, stage: Stage, record: faust.Record) -> None:
        """Send `record` to the stage's sink topic, keyed by its `id`."""
        assert stage.sink is not None, f"{stage.name} has no sink topic"
        await self.send(stage.sink, record.id.encode(), record.dumps())

    async def dead_letter(self, event: EventT[bytes], stage: Stage, error: RejectedArticle) -> None:
        """Send the dead letter for `event` (refused by `stage`) to news.deadletter."""
        message = event.message
        where = f"{message.topic}[{message.partition}]@{message.offset}"
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
        log.warning("%s: dead letter %s: %s: %s", stage.name, where, error.reason, error.message)
        metrics.observe_dead_letter(stage.name, error.reason, error.message, where)
        await self.send(DEADLETTER, message.key, letter.dumps())

    async def delivered(self) -> None:
        """Wait until Kafka has acknowledged every record sent so far.

        Records Kafka did not take (after the producer's own retries) are sent again, with
        back-off, until it does: the caller acknowledges its input only after this returns.
        """
        pending, self._pending = self._pending, []
        while pending:
            results = await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
            failed = [
                outgoing
                for (outgoing, _), result in zip(pending, results, strict=True)
                if isinstance(result, BaseException)
            ]
            pending = []
            for outgoing in failed:
                future = await retry_forever(
                    partial(_produce, outgoing), what="send to Kafka", retry_on=_SEND_ERRORS
                )
                pending.append((outgoing, future))
            if failed:
                log.warning("sent %d records again that Kafka had not taken", len(failed))


async def forward_batch(events: Sequence[EventT[bytes]], stage: Stage, transform: Transform) -> int:
    """Send `transform(value)` of every event on, dead letters aside; returns how many went on.

    Returns once Kafka has every record of the batch, so the caller may acknowledge the events.
    """
    started = time.perf_counter()
    outbox = Outbox()
    sent = 0
    for event in events:
        try:
            record = transform(event.value)
        except RejectedArticle as error:
            await outbox.dead_letter(event, stage, error)
            continue
        await outbox.emit(stage, record)
        sent += 1
    await outbox.delivered()
    if sent:
        metrics.observe_stage(stage.name, time.perf_counter() - started, sent)
    return sent


async def relay(
    stream: StreamT[bytes], stage: Stage, transform: Transform, *, batch_size: int, within: float
) -> None:
    """The agent loop of a one-in, one-out stage: batches of up to `batch_size` events, or
    what arrived within `within` seconds, each forwarded and only then counted done."""
    batches = cast(Stream[bytes], stream).take_events(batch_size, within=within)
    async for events in batches:
        with in_flight(events) as fresh:  # done only once Kafka has every record made of them
            await forward_batch(fresh, stage, transform)
