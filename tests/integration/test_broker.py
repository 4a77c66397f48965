"""The local broker and topic helpers against a real Kafka broker (no mocks)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from click.testing import CliRunner

from pipeline.broker import BrokerError, LocalBroker, ensure_topics, free_port
from pipeline.cli import main
from pipeline.settings import BrokerSettings

pytestmark = pytest.mark.integration


def _cache_dir() -> Path:
    return Path(os.environ.get("NEWSWIRE_CACHE_DIR") or Path.home() / ".cache" / "newswire")


def _own_broker_settings(data_dir: Path, heap: str = "512m") -> BrokerSettings:
    port = free_port()
    controller_port = free_port()
    while controller_port == port:
        controller_port = free_port()
    return BrokerSettings(
        kafka_version="4.0.0",
        cache_dir=_cache_dir(),
        host="127.0.0.1",
        port=port,
        controller_port=controller_port,
        heap=heap,
        data_dir=data_dir,
    )


def _accepts(bootstrap: str) -> bool:
    host, _, port = bootstrap.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return False
    return True


async def test_ensure_topics_creates_then_is_idempotent(kafka_bootstrap: str) -> None:
    topic = f"test.ensure.{uuid.uuid4().hex[:8]}"
    assert await ensure_topics(kafka_bootstrap, {topic: 4}, 1) == [topic]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [meta] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert sorted(p["partition"] for p in meta["partitions"]) == [0, 1, 2, 3]
    assert all(p["leader"] >= 0 for p in meta["partitions"])

    assert await ensure_topics(kafka_bootstrap, {topic: 4}, 1) == []
    assert await ensure_topics(kafka_bootstrap, {topic: 2}, 1) == []  # more than asked is fine
    with pytest.raises(BrokerError, match=rf"{topic} exists with 4 partitions.*8"):
        await ensure_topics(kafka_bootstrap, {topic: 8}, 1)


async def test_ensure_topics_reports_an_impossible_replication_factor(
    kafka_bootstrap: str,
) -> None:
    topic = f"test.rf.{uuid.uuid4().hex[:8]}"
    with pytest.raises(BrokerError, match=f"could not create topic {topic}"):
        await ensure_topics(kafka_bootstrap, {topic: 1}, replication_factor=99)


async def test_produce_consume_round_trip(kafka_bootstrap: str) -> None:
    topic = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, {topic: 1}, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b'{"id": 1}', key=b"k1", partition=0)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        async with asyncio.timeout(30):
            record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.topic, record.partition, record.offset) == (topic, 0, sent.offset)
    assert (record.key, record.value) == (b"k1", b'{"id": 1}')


def test_local_broker_lifecycle(tmp_path: Path) -> None:
    settings = _own_broker_settings(tmp_path / "broker")
    broker = LocalBroker(settings)
    assert not broker.status().running
    try:
        broker.start(timeout=90)
        st = broker.status()
        assert st.running and st.pid is not None
        assert st.bootstrap == f"127.0.0.1:{settings.port}" and _accepts(st.bootstrap)
        assert (settings.data_dir / "kraft" / "meta.properties").is_file()
        # Another handle on the same data dir (a second `newswire broker start`) starts nothing.
        again = LocalBroker(settings)
        again.start(timeout=30)
        assert again.status().pid == st.pid

        assert broker.stop() is True
        assert not broker.status().running
        assert not broker.pid_file.exists()
        with pytest.raises(ProcessLookupError):
            os.kill(st.pid, 0)
        assert not _accepts(st.bootstrap)
        assert broker.stop() is False
    finally:
        broker.stop()


def test_start_reports_an_early_exit_with_the_log(tmp_path: Path) -> None:
    broker = LocalBroker(_own_broker_settings(tmp_path / "broker", heap="1q"))  # invalid -Xmx
    with pytest.raises(BrokerError, match=r"(?s)exited with code \d+.*Invalid maximum heap size"):
        broker.start(timeout=60)
    assert not broker.status().running
    assert not broker.pid_file.exists()


def test_cli_status_exits_3_when_nothing_runs(tmp_path: Path) -> None:
    env = {
        "NEWSWIRE_CACHE_DIR": str(tmp_path),
        "NEWSWIRE_BROKER_PORT": str(free_port()),
        "NEWSWIRE_BROKER_CONTROLLER_PORT": str(free_port()),
    }
    result = CliRunner(env=env).invoke(main, ["broker", "status"])
    assert result.exit_code == 3, result.output
    assert "not running" in result.output
    assert env["NEWSWIRE_BROKER_PORT"] in result.output
