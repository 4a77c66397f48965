"""Articles in flight for the scale-out and fault tests: real records out, stored rows back.

The records are the bundled Wikinews sample (pipeline/sample_news, CC BY 2.5) cycled with a
distinct URL each, so every record is a distinct article id; the checks read the store
through SQLAlchemy, so they work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import orjson
from aiokafka import AIOKafkaConsumer
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from pipeline.bench.corpus import cycled_raw_records, load_corpus
from pipeline.bench.worker import produce_all
from pipeline.store.sql import sync_url

__all__ = ["dead_letters", "lost_and_duplicated", "publish", "real_records", "stored_count"]


def real_records(count: int) -> list[bytes]:
    """`count` RawArticle records, each a distinct article."""
    articles, _origin = load_corpus(None)
    return list(cycled_raw_records(articles, count))


def publish(bootstrap: str, topic: str, records: list[bytes]) -> None:
    """Produce every record (batched) and wait for the broker's acknowledgements."""
    asyncio.run(produce_all(bootstrap, topic, records))


def _query(store_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(sync_url(store_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    except (OperationalError, ProgrammingError):  # no store or no table yet, or it is down
        return []
    finally:
        engine.dispose()


def stored_count(store_url: str) -> int:
    """Rows in the store's articles table (0 until it exists or while it is down)."""
    rows = _query(store_url, "SELECT count(*) FROM articles")
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def lost_and_duplicated(store_url: str, records: list[bytes]) -> tuple[int, int]:
    """How many published records have no row, and how many rows are extra copies.

    Rows are matched to records by URL (each record has its own), so a lost article and a
    second row of another cannot cancel out in a count.
    """
    urls = Counter(str(url) for (url,) in _query(store_url, "SELECT url FROM articles"))
    published = {orjson.loads(r)["url"] for r in records}
    lost = len(published - urls.keys())
    duplicated = sum(n - 1 for n in urls.values()) + len(urls.keys() - published)
    return lost, duplicated


def dead_letters(bootstrap: str, topic: str, count: int, timeout: float) -> list[dict[str, object]]:
    """The first `count` dead letters on `topic` (fewer if `timeout` passes first)."""

    async def read() -> list[dict[str, object]]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        letters: list[dict[str, object]] = []
        deadline = time.monotonic() + timeout
        try:
            while len(letters) < count and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                letters += [orjson.loads(m.value or b"{}") for ms in batches.values() for m in ms]
        finally:
            await consumer.stop()
        return letters

    return asyncio.run(read())
