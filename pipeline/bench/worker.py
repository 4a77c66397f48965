"""A real `newswire worker` for benchmarks: its own topics (a fresh prefix), store and log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from pipeline.broker import free_port
from pipeline.processes import stop_process
from pipeline.settings import Settings
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW

__all__ = [
    "BenchWorker",
    "percentile",
    "produce_all",
    "publish_paced",
]


async def produce_all(bootstrap: str, topic: str, records: Sequence[bytes]) -> None:
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


async def publish_paced(bootstrap: str, topic: str, records: Sequence[bytes], rate: float) -> float:
    """Publish at `rate` records/s, each stamped `received_at` as it goes; returns the start.

    The offered load for latency figures: an open loop, one record every 1/rate s,
    whatever the pipeline does.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    start = time.time()
    try:
        futures = []
        for n, record in enumerate(records):
            delay = start + n / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load generator
            obj = orjson.loads(record)
            obj["received_at"] = time.time()
            futures.append(await producer.send(topic, orjson.dumps(obj)))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return start


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class BenchWorker:
    """One worker process on fresh topics; `stored()` reads its SQLite store."""

    def __init__(self, settings: Settings, **env: str) -> None:
        tag = uuid.uuid4().hex[:8]
        self._tmp = tempfile.TemporaryDirectory(prefix="newswire-bench-")
        self.dir = Path(self._tmp.name)
        self.settings = settings.model_copy(update={"topic_prefix": f"bench{tag}."})
        self.env = {
            **os.environ,
            "NEWSWIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "NEWSWIRE_TOPIC_PREFIX": self.settings.topic_prefix,
            "NEWSWIRE_APP_ID": f"newswire-bench-{tag}",
            "NEWSWIRE_DATA_DIR": str(self.dir),
            "NEWSWIRE_WEB_PORT": str(free_port()),
            "NEWSWIRE_LOG_LEVEL": "warning",
            **env,
        }
        self.db = self.dir / "newswire.db"
        self.raw_topic = self.settings.topic_name(RAW)
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BenchWorker:
        asyncio.run(create_pipeline_topics(self.settings))
        return self

    def start(self) -> None:
        with (self.dir / "worker.log").open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=log,
            )

    def publish(self, records: Sequence[bytes]) -> None:
        asyncio.run(produce_all(self.settings.kafka_bootstrap, self.raw_topic, records))

    def publish_paced(self, records: Sequence[bytes], rate: float) -> float:
        """`publish_paced` onto this worker's news.raw; returns the start."""
        return asyncio.run(
            publish_paced(self.settings.kafka_bootstrap, self.raw_topic, records, rate)
        )

    def stored(self, sql: str) -> tuple[float, ...]:
        """One row of `sql` over the store (zeros until the store exists)."""
        if not self.db.exists():
            return (0,)
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            try:
                return tuple(conn.execute(sql).fetchone())
            except sqlite3.OperationalError:  # the worker has not created its table yet
                return (0,)

    def wait_stored(self, count: int, timeout: float) -> None:
        """Block until the store holds `count` articles; the worker log tail if it cannot."""
        deadline = time.monotonic() + timeout
        while self.stored("SELECT count(*) FROM articles")[0] < count:
            assert self._proc is not None, "start() the worker first"
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.dir / "worker.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the worker did not store {count} articles:\n{tail}")
            # Poll the store twice a second until the articles are in.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=0.5)

    def latencies(self, since: float) -> list[float]:
        """received → stored seconds of the articles received after `since`."""
        if not self.db.exists():
            return []
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT stored_at - received_at FROM articles WHERE received_at >= ?", (since,)
            ).fetchall()
        return [r[0] for r in rows]

    def __exit__(self, *_: object) -> None:
        if self._proc is not None:
            stop_process(self._proc)
        self._tmp.cleanup()
