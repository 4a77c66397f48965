"""`newswire bench flow`: normalize → store throughput against a bare aiokafka loop, same run.

Both sides read the same pre-loaded records, so neither pays for its producer, and both
are timed from their first record to their last result: the bare loop from its first
consumed message to its last acknowledged send, the pipeline from its first normalize
(`normalized_at`) to its last stored row (`stored_at`). Start-up and rebalances are out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.broker import ensure_topics, free_port
from pipeline.settings import Settings
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW

__all__ = ["bare_loop_rate", "pipeline_rate", "produce_all"]


async def produce_all(bootstrap: str, topic: str, records: list[bytes]) -> None:
    """Send every record and wait until the broker has acknowledged all of them."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, r) for r in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def bare_loop_rate(bootstrap: str, records: list[bytes], partitions: int) -> float:
    """Articles/s of a plain consume → JSON decode/encode → produce loop with aiokafka."""
    tag = uuid.uuid4().hex[:8]
    source, sink = f"bench-{tag}.in", f"bench-{tag}.out"
    await ensure_topics(bootstrap, {source: partitions, sink: partitions}, 1)
    await produce_all(bootstrap, source, records)
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=f"bench-{tag}", auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        first = 0.0
        while len(pending) < len(records):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                for message in messages:
                    first = first or time.perf_counter()
                    value = orjson.dumps(orjson.loads(message.value or b"{}"))
                    pending.append(await producer.send(sink, value, key=message.key))
        await asyncio.gather(*pending)
        await consumer.commit()
        return len(records) / (time.perf_counter() - first)
    finally:
        await producer.stop()
        await consumer.stop()


def _stored(db: Path, sql: str) -> tuple[float, ...]:
    if not db.exists():
        return (0,)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return tuple(conn.execute(sql).fetchone())
        except sqlite3.OperationalError:  # the worker has not created its table yet
            return (0,)


def pipeline_rate(settings: Settings, records: list[bytes], timeout: float = 900) -> float:
    """Articles/s of one `newswire worker` from news.raw to the SQLite store."""
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        prefixed = settings.model_copy(update={"topic_prefix": f"bench{tag}."})
        asyncio.run(create_pipeline_topics(prefixed))
        asyncio.run(produce_all(settings.kafka_bootstrap, prefixed.topic_name(RAW), records))
        env = {
            **os.environ,
            "NEWSWIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "NEWSWIRE_TOPIC_PREFIX": prefixed.topic_prefix,
            "NEWSWIRE_APP_ID": f"newswire-bench-{tag}",
            "NEWSWIRE_DATA_DIR": tmp,
            "NEWSWIRE_WEB_PORT": str(free_port()),
            "NEWSWIRE_LOG_LEVEL": "warning",
        }
        db = Path(tmp) / "newswire.db"
        with (Path(tmp) / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker"], env=env, stdout=log, stderr=log
            )
        try:
            deadline = time.monotonic() + timeout
            while _stored(db, "SELECT count(*) FROM articles")[0] < len(records):
                if worker.poll() is not None or time.monotonic() > deadline:
                    log_text = (Path(tmp) / "worker.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the worker did not store every record:\n{log_text}")
                # Poll the store every half second until every record is in.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=0.5)
            first, last = _stored(
                db,
                "SELECT min(json_extract(record, '$.normalized_at')), max(stored_at) FROM articles",
            )
            return len(records) / (last - first)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
