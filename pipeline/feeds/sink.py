"""Where polled articles go: news.raw, through a producer that returns once Kafka has them.

`RawSink` is the one thing the poller needs; `KafkaRawSink` is the standalone one
(`newswire feeds run`, the bench), configured like `newswire publish`'s producer
(idempotent, every send acknowledged). Inside the worker the service uses Faust's own
producer through the same protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from schemas.raw import RawArticle

__all__ = ["KafkaRawSink", "RawSink", "stamp_and_encode"]


class RawSink(Protocol):
    """Publishes raw articles; `send` returns after the broker acknowledged every one."""

    async def send(self, articles: Sequence[RawArticle]) -> None: ...


def stamp_and_encode(articles: Sequence[RawArticle]) -> list[bytes]:
    """The JSON bytes of each article with `received_at` set to now (the latency clock)."""
    now = time.time()
    return [a.derive(received_at=now).dumps() for a in articles]


class KafkaRawSink:
    """An aiokafka producer on news.raw; `start()` before use, `stop()` after."""

    def __init__(self, bootstrap: str, topic: str, max_request_size: int) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.max_request_size = max_request_size
        self.producer: AIOKafkaProducer | None = None  # made in start(): it needs the loop

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            enable_idempotence=True,
            linger_ms=10,
            max_batch_size=512 * 1024,
            max_request_size=self.max_request_size,
            client_id="newswire-feeds",
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def send(self, articles: Sequence[RawArticle]) -> None:
        if self.producer is None:
            raise RuntimeError("KafkaRawSink.send before start()")
        producer = self.producer
        futures = [await producer.send(self.topic, v) for v in stamp_and_encode(articles)]
        await asyncio.gather(*futures)
