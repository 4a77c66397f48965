"""Things die, nothing is lost: 10,000 real articles in flight through each fault.

Each test runs real parts (a Kafka broker, `newswire worker` processes, SQLite or a
PostgreSQL server), injects one fault while articles are in flight, and when the dust
settles asserts 0 lost and 0 duplicate rows: every published article has exactly one row.
NER and the story decision are off (the non-NLP path) so 10,000 articles take seconds,
not hours; every stage still runs and moves every record.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flight import dead_letters, lost_and_duplicated, publish, real_records, stored_count

from pipeline.broker import LocalBroker, free_port
from pipeline.settings import BrokerSettings
from pipeline.store.local_postgres import LocalPostgres
from pipeline.topology import DEADLETTER, RAW, STAGES

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
NewPipeline = Callable[[str], Any]  # conftest's Pipeline
COUNT = 10_000
MID_STREAM = 500  # the first batches are stored while most articles are still upstream
# The non-NLP path (NER and the story decision off; test_dedupe covers a killed worker's
# story index); a killed worker's partitions move on after 10 s instead of 60.
FAST = {
    "NEWSWIRE_NER_ENABLED": "false",
    "NEWSWIRE_DEDUPE_ENABLED": "false",
    "NEWSWIRE_CONSUMER_SESSION_TIMEOUT": "10",
}
BROKER_OUTAGE_SECONDS = 10  # the fault itself, as the issue states it


def _store_url(pipeline: Any) -> str:
    return pipeline.env["NEWSWIRE_STORE_URL"]


def _all_stored(pipeline: Any, wait: Wait, timeout: float = 600) -> None:
    url = _store_url(pipeline)
    wait(lambda: stored_count(url) >= COUNT, timeout, f"{COUNT:,} stored articles")


def test_a_worker_killed_mid_stream_then_replaced_loses_nothing(
    kafka_bootstrap: str, new_pipelines: NewPipeline, wait: Wait
) -> None:
    pipeline = new_pipelines(kafka_bootstrap)
    records = real_records(COUNT)
    first = pipeline.start_worker("first", **FAST)
    try:
        publish(kafka_bootstrap, pipeline.topic(RAW), records)
        wait(
            lambda: stored_count(_store_url(pipeline)) >= MID_STREAM,
            300,
            "the first batches stored",
        )
        first.send_signal(signal.SIGKILL)  # kill -9: no commit, no goodbye to the group
        assert first.wait() == -signal.SIGKILL
        assert stored_count(_store_url(pipeline)) < COUNT, "the kill came too late to test"
    finally:
        pipeline.stop_worker(first, "first")
    second = pipeline.start_worker("second", **FAST)
    try:
        _all_stored(pipeline, wait)
        assert lost_and_duplicated(_store_url(pipeline), records) == (0, 0)
    finally:
        pipeline.stop_worker(second, "second")


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of this test's own, to stop and start (the session's stays up for the rest)."""
    port, controller = free_port(), free_port()
    cache = os.environ.get("NEWSWIRE_CACHE_DIR") or Path.home() / ".cache" / "newswire"
    broker = LocalBroker(
        BrokerSettings(
            kafka_version=os.environ.get("NEWSWIRE_KAFKA_VERSION", "4.0.0"),
            cache_dir=Path(cache),
            host="127.0.0.1",
            port=port,
            controller_port=controller,
            heap="512m",
            data_dir=tmp_path / "kafka",
        )
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def test_the_broker_stopped_for_10_seconds_loses_nothing(
    own_broker: LocalBroker, new_pipelines: NewPipeline, wait: Wait
) -> None:
    pipeline = new_pipelines(own_broker.bootstrap)
    records = real_records(COUNT)
    worker = pipeline.start_worker("worker", **FAST)
    try:
        publish(own_broker.bootstrap, pipeline.topic(RAW), records)
        wait(
            lambda: stored_count(_store_url(pipeline)) >= MID_STREAM,
            300,
            "the first batches stored",
        )
        own_broker.stop()
        time.sleep(BROKER_OUTAGE_SECONDS)  # the outage being tested, not a synchronisation
        assert worker.poll() is None, "the worker died with the broker"
        own_broker.start()
        _all_stored(pipeline, wait)
        assert lost_and_duplicated(_store_url(pipeline), records) == (0, 0)
        assert worker.poll() is None
    finally:
        pipeline.stop_worker(worker, "worker")


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server of this test's own, to stop and start."""
    base = tempfile.mkdtemp(prefix="newswire-pg-")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    server = LocalPostgres(Path(base) / "data")
    server.start()
    try:
        yield server
    finally:
        if server.running():
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_the_store_down_for_a_while_loses_nothing(
    kafka_bootstrap: str, own_postgres: LocalPostgres, new_pipelines: NewPipeline, wait: Wait
) -> None:
    pipeline = new_pipelines(kafka_bootstrap)
    pipeline.env["NEWSWIRE_STORE_URL"] = own_postgres.url
    records = real_records(COUNT)
    log = pipeline.settings.data_dir / "worker.log"
    worker = pipeline.start_worker("worker", **FAST)
    try:
        publish(kafka_bootstrap, pipeline.topic(RAW), records)
        wait(lambda: stored_count(own_postgres.url) >= MID_STREAM, 300, "the first batches stored")
        own_postgres.stop()
        # Down until the store agent has failed and backed off twice: it keeps the batch
        # it could not write (and its offsets uncommitted) instead of moving on.
        wait(
            lambda: log.read_text(errors="replace").count("store write failed (attempt 2") >= 1,
            60,
            "the store agent retrying",
        )
        assert worker.poll() is None
        own_postgres.start()
        _all_stored(pipeline, wait)
        assert lost_and_duplicated(own_postgres.url, records) == (0, 0)
    finally:
        pipeline.stop_worker(worker, "worker")


def test_a_poison_record_in_every_stage_is_dead_lettered_and_the_rest_flow_on(
    kafka_bootstrap: str, new_pipelines: NewPipeline, wait: Wait
) -> None:
    pipeline = new_pipelines(kafka_bootstrap)
    records = real_records(COUNT)
    worker = pipeline.start_worker("worker", **FAST)
    try:
        half = COUNT // 2
        publish(kafka_bootstrap, pipeline.topic(RAW), records[:half])
        for stage in STAGES:  # mid-stream, into each stage's own input topic
            publish(kafka_bootstrap, pipeline.topic(stage.source), [b"\xff poison " + b"x" * 64])
        publish(kafka_bootstrap, pipeline.topic(RAW), records[half:])
        _all_stored(pipeline, wait)
        assert lost_and_duplicated(_store_url(pipeline), records) == (0, 0)
        letters = dead_letters(kafka_bootstrap, pipeline.topic(DEADLETTER), len(STAGES), 60)
        assert sorted(str(letter["stage"]) for letter in letters) == sorted(s.name for s in STAGES)
        assert all(letter["reason"] and letter["original"] for letter in letters)
        assert worker.poll() is None
    finally:
        pipeline.stop_worker(worker, "worker")
