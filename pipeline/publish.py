"""Publishing parsed articles to news.raw: the Kafka side of `newswire publish`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from pipeline.broker import BrokerError
from pipeline.sources.files import ParsedArticle, ParseFailure

__all__ = ["PublishSummary", "publish_articles"]


@dataclass
class PublishSummary:
    """What one publish run did: records sent, and records rejected by reason."""

    sent: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def line(self) -> str:
        """One summary line, e.g. `sent 40, rejected 2 (not_json 1, missing_body 1)`."""
        total = sum(self.rejected.values())
        text = f"sent {self.sent}, rejected {total}"
        if total:
            reasons = ", ".join(f"{r} {n}" for r, n in self.rejected.most_common())
            text += f" ({reasons})"
        return text


async def publish_articles(
    bootstrap: str,
    topic: str,
    items: Iterable[ParsedArticle | ParseFailure],
    *,
    on_sent: Callable[[ParsedArticle], None] = lambda _: None,
    on_rejected: Callable[[ParseFailure], None] = lambda _: None,
    max_request_size: int = 4 * 1024 * 1024,
) -> PublishSummary:
    """Send every parsed article to `topic`; report failures through `on_rejected`.

    Each article is one Kafka record, so nothing is ever half-sent. The producer is
    idempotent (no duplicates from retries) and every send is acknowledged by the broker
    before this returns. A missing topic is a `BrokerError` before anything is sent: the
    pipeline's topics are made by `newswire topics create` or a worker, never by a producer.
    """
    summary = PublishSummary()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        linger_ms=10,
        max_batch_size=512 * 1024,
        max_request_size=max_request_size,
        client_id="newswire-publish",
    )
    try:
        await producer.start()
        if topic not in (await producer.client.fetch_all_metadata()).topics():
            raise BrokerError(
                f"topic {topic} does not exist on {bootstrap}: create the pipeline's topics "
                "with `newswire topics create` (a worker creates them when it starts)"
            )
        pending = []
        for item in items:
            if isinstance(item, ParseFailure):
                summary.rejected[item.reason] += 1
                on_rejected(item)
                continue
            record = item.article.derive(received_at=time.time())
            pending.append(await producer.send(topic, record.dumps()))
            summary.sent += 1
            on_sent(item)
        for future in pending:
            await future
    finally:
        await producer.stop()
    return summary
