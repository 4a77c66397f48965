"""`newswire topics …` on the real broker: each command, and each driven into a failure.

Every failure must be one line on stderr with a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from waiting import await_until

from pipeline.broker import free_port
from pipeline.processes import stop_process
from pipeline.topology import CLEAN, ENRICHED, PIPELINE_TOPICS, RAW

pytestmark = pytest.mark.integration


def _env(bootstrap: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A pipeline of its own whose topics do not exist yet."""
    tag = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": bootstrap,
        "NEWSWIRE_TOPIC_PREFIX": f"t{tag}.",
        "NEWSWIRE_APP_ID": f"newswire-topics-{tag}",
        "NEWSWIRE_DATA_DIR": str(tmp_path),
        **extra,
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fails_in_one_line(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Non-zero exit, one line on stderr naming what went wrong and the fix, no traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]


async def _admin_do(bootstrap: str, action: Callable[[AIOKafkaAdminClient], object]) -> object:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        result = action(admin)
        return await result if asyncio.iscoroutine(result) else result
    finally:
        await admin.close()


def _partitions(bootstrap: str, topics: list[str]) -> dict[str, int]:
    async def run(admin: AIOKafkaAdminClient) -> dict[str, int]:
        existing = set(await admin.list_topics())
        present = [t for t in topics if t in existing]
        metas = await admin.describe_topics(present) if present else []
        return {m["topic"]: len(m["partitions"]) for m in metas}

    return asyncio.run(_admin_do(bootstrap, run))  # type: ignore[arg-type,return-value]


def _make_topic(bootstrap: str, topic: str, partitions: int, records: int = 0) -> None:
    """What a broker that auto-creates topics would leave: `partitions`, default settings."""

    async def run() -> None:
        await _admin_do(
            bootstrap, lambda admin: admin.create_topics([NewTopic(topic, partitions, 1)])
        )
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for n in range(records):
                await producer.send_and_wait(topic, f'{{"body": "record {n}"}}'.encode())
        finally:
            await producer.stop()

    asyncio.run(run())


def _topic(env: dict[str, str], name: str) -> str:
    return env["NEWSWIRE_TOPIC_PREFIX"] + name


async def test_a_producer_writing_to_a_missing_topic_gets_an_error(kafka_bootstrap: str) -> None:
    if os.environ.get("KAFKA_BOOTSTRAP"):
        pytest.skip("an external broker: its auto.create.topics.enable is its own")
    topic = f"t{uuid.uuid4().hex[:8]}.{RAW}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(KafkaError):
            await producer.send_and_wait(topic, b'{"body": "x"}')
    finally:
        await producer.stop()
    existing = await _admin_do(kafka_bootstrap, lambda admin: admin.list_topics())
    assert topic not in existing  # type: ignore[operator]


def test_publish_to_missing_topics_fails_in_one_line(kafka_bootstrap: str, tmp_path: Path) -> None:
    env = _env(kafka_bootstrap, tmp_path)
    proc = _cli(env, "publish", "tests/data/seeds/")
    _fails_in_one_line(proc, f"topic {_topic(env, RAW)} does not exist", "newswire topics create")
    assert _partitions(kafka_bootstrap, [_topic(env, RAW)]) == {}


def test_tail_of_a_missing_topic_fails_in_one_line(kafka_bootstrap: str, tmp_path: Path) -> None:
    env = _env(kafka_bootstrap, tmp_path)
    proc = _cli(env, "tail", "--topic", "no.such.topic", "--idle-timeout", "5")
    _fails_in_one_line(proc, "topic no.such.topic does not exist", "newswire topics list")


def test_list_then_create_grows_a_topic_with_too_few_partitions(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = _env(kafka_bootstrap, tmp_path)
    raw = _topic(env, RAW)
    _make_topic(kafka_bootstrap, raw, partitions=1, records=3)

    listed = _cli(env, "topics", "list")
    assert listed.returncode == 0, listed.stderr
    rows: dict[str, str] = {}
    for line in listed.stdout.splitlines():  # the table first, then advice naming topics
        rows.setdefault(line.split()[0], line)
    assert rows[raw].split()[1:5] == ["1", "(needs", "4)", "3"]
    assert "7 d" in rows[raw] and "unlimited" in rows[raw]  # retention.ms, retention.bytes
    assert rows[_topic(env, CLEAN)].split()[1] == "missing"
    assert f"{raw} has too few partitions: `newswire topics add-partitions`" in listed.stdout

    # add-partitions grows existing topics only: the others are missing.
    _fails_in_one_line(
        _cli(env, "topics", "add-partitions"), "do not exist", "newswire topics create"
    )

    created = _cli(env, "topics", "create")
    assert created.returncode == 0, created.stderr
    assert f"grew {raw} from 1 to 4 partitions" in created.stdout
    names = [_topic(env, t) for t in PIPELINE_TOPICS]
    assert _partitions(kafka_bootstrap, names) == {
        n: 1 if n == _topic(env, ENRICHED) else 4 for n in names
    }

    as_json = _cli(env, "topics", "list", "--json")
    row = json.loads(as_json.stdout.splitlines()[0])
    assert (row["topic"], row["partitions"], row["records"]) == (raw, 4, 3)
    assert row["configs"]["retention.bytes"] == "-1"


def test_add_partitions_grows_the_pipeline_to_the_setting(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = _env(kafka_bootstrap, tmp_path, NEWSWIRE_PARTITIONS="2")
    assert _cli(env, "topics", "create").returncode == 0
    names = [_topic(env, t) for t in PIPELINE_TOPICS]

    grown = _cli({**env, "NEWSWIRE_PARTITIONS": "3"}, "topics", "add-partitions")
    assert grown.returncode == 0, grown.stderr
    assert f"grew {_topic(env, RAW)}: 2 → 3 partitions" in grown.stdout
    assert _partitions(kafka_bootstrap, names) == {
        n: 1 if n == _topic(env, ENRICHED) else 3 for n in names
    }
    again = _cli({**env, "NEWSWIRE_PARTITIONS": "3"}, "topics", "add-partitions")
    assert "every pipeline topic has the partitions it needs" in again.stdout


def test_delete_needs_yes_then_removes_every_pipeline_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = _env(kafka_bootstrap, tmp_path)
    assert _cli(env, "topics", "create").returncode == 0
    names = [_topic(env, t) for t in PIPELINE_TOPICS]

    _fails_in_one_line(_cli(env, "topics", "delete"), "--yes")
    assert len(_partitions(kafka_bootstrap, names)) == len(names)

    deleted = _cli(env, "topics", "delete", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert _partitions(kafka_bootstrap, names) == {}
    # Deleted means gone: they can be created again at once.
    assert _cli(env, "topics", "create").returncode == 0
    assert len(_partitions(kafka_bootstrap, names)) == len(names)


async def _group_member(bootstrap: str, group: str, topic: str) -> AIOKafkaConsumer:
    """A consumer in `group` (as a worker is in the app id's group), once it has partitions."""
    # No auto-commit: with it, stop() hangs once its topic was deleted under it (--force).
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()

    async def assigned() -> bool:
        return bool(consumer.assignment())

    await await_until(assigned, 60, f"an assignment in consumer group {group}")
    return consumer


async def test_delete_refuses_while_the_workers_group_has_members(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = _env(kafka_bootstrap, tmp_path)
    group, raw = env["NEWSWIRE_APP_ID"], _topic(env, RAW)
    names = [_topic(env, t) for t in PIPELINE_TOPICS]

    def cli(*args: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        # In a thread: the consumer's heartbeats go on while the command runs.
        return asyncio.to_thread(_cli, env, *args)

    def existing() -> Awaitable[dict[str, int]]:
        return asyncio.to_thread(_partitions, kafka_bootstrap, names)

    assert (await cli("topics", "create")).returncode == 0
    member = await _group_member(kafka_bootstrap, group, raw)
    try:
        refused = await cli("topics", "delete", "--yes")
        _fails_in_one_line(
            refused, f"consumer group {group} has 1 active member", "stop them", "--force"
        )
        assert refused.returncode == 1
        assert len(await existing()) == len(names)
    finally:
        await member.stop()  # leaves the group: nobody is running now
    deleted = await cli("topics", "delete", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert await existing() == {}

    assert (await cli("topics", "create")).returncode == 0
    member = await _group_member(kafka_bootstrap, group, raw)
    try:
        forced = await cli("topics", "delete", "--yes", "--force")
        assert forced.returncode == 0, forced.stderr
        assert f"deleted: {raw}" in forced.stdout
        assert await existing() == {}
    finally:
        await member.stop()


@pytest.mark.parametrize(
    "args",
    [
        ("topics", "create", "--timeout", "1"),
        ("topics", "list", "--timeout", "1"),
        ("topics", "add-partitions", "--timeout", "1"),
        ("topics", "delete", "--yes", "--timeout", "1"),
        ("tail", "--idle-timeout", "1"),
        ("publish", "tests/data/seeds/"),
    ],
)
def test_every_kafka_command_without_a_broker_fails_in_one_line(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    env = _env(f"127.0.0.1:{free_port()}", tmp_path)
    _fails_in_one_line(_cli(env, *args), "no Kafka broker answered", "newswire broker start")


def test_the_worker_grows_a_topic_with_too_few_partitions_and_says_so(
    kafka_bootstrap: str, tmp_path: Path, wait: Callable[..., object]
) -> None:
    env = _env(
        kafka_bootstrap,
        tmp_path,
        NEWSWIRE_NER_ENABLED="false",
        NEWSWIRE_WEB_PORT=str(free_port()),
        NEWSWIRE_STORE_URL=f"sqlite:///{tmp_path / 'newswire.db'}",
    )
    raw = _topic(env, RAW)
    _make_topic(kafka_bootstrap, raw, partitions=1, records=2)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait(
            lambda: f"grew {raw} from 1 to 4 partitions" in log.read_text(errors="replace"),
            60,
            "the worker's word that it grew news.raw",
        )
        assert _partitions(kafka_bootstrap, [raw]) == {raw: 4}
        assert proc.poll() is None  # and it runs on
    finally:
        stop_process(proc)
