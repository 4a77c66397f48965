"""A worker process on the real broker, isolated per test module by a topic prefix and app id."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from waiting import wait_until

from pipeline.processes import stop_process
from pipeline.settings import Settings
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Pipeline:
    """One isolated pipeline: its settings, the env that selects it, and its store file."""

    settings: Settings
    env: dict[str, str]
    store_path: Path
    web_ports: dict[str, int] = field(default_factory=dict)

    def topic(self, name: str) -> str:
        return self.settings.topic_name(name)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `newswire ARGS…` against this pipeline."""
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    async def asend_raw(self, values: list[bytes]) -> None:
        """Produce `values` to this pipeline's news.raw as any Kafka client would."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            max_request_size=self.settings.max_message_bytes,
        )
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(self.topic(RAW), value)
        finally:
            await producer.stop()

    def send_raw(self, values: list[bytes]) -> None:
        """`asend_raw` for synchronous tests."""
        asyncio.run(self.asend_raw(values))

    def start_worker(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        """`newswire worker` as a subprocess (log: DATA_DIR/NAME.log); stop it with stop_worker."""
        log_path = self.settings.data_dir / f"{name}.log"
        self.web_ports[name] = _free_port()
        with log_path.open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker"],
                env={**self.env, "NEWSWIRE_WEB_PORT": str(self.web_ports[name]), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop_worker(self, proc: subprocess.Popen[bytes], name: str) -> None:
        """SIGTERM, then SIGKILL after 30 s; print the log tail if it did not exit cleanly."""
        if stop_process(proc) not in (0, -signal.SIGTERM):
            log = self.settings.data_dir / f"{name}.log"
            sys.stderr.write(log.read_text(errors="replace")[-5000:])

    def stored(self, sql: str = "SELECT id, record FROM articles") -> list[tuple[object, ...]]:
        """Rows of the worker's SQLite store ([] until the store exists)."""
        if not self.store_path.exists():
            return []
        with sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True) as conn:
            try:
                return list(conn.execute(sql))
            except sqlite3.OperationalError:  # the worker has not created the table yet
                return []


def new_pipeline(kafka_bootstrap: str, data_dir: Path) -> Pipeline:
    """A pipeline of its own: fresh topics (a new prefix), consumer group and SQLite store."""
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSWIRE_TOPIC_PREFIX": f"t{tag}.",
        "NEWSWIRE_APP_ID": f"newswire-test-{tag}",
        "NEWSWIRE_DATA_DIR": str(data_dir),
        "NEWSWIRE_STORE_URL": f"sqlite:///{data_dir / 'newswire.db'}",
        "NEWSWIRE_STORE_BATCH_SECONDS": "0.05",
    }
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{tag}.",
        app_id=f"newswire-test-{tag}",
        data_dir=data_dir,
    )
    asyncio.run(create_pipeline_topics(settings))
    return Pipeline(settings=settings, env=env, store_path=data_dir / "newswire.db")


@pytest.fixture(scope="module")
def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return new_pipeline(kafka_bootstrap, tmp_path_factory.mktemp("pipeline-"))


@pytest.fixture
def new_pipelines(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Pipeline]:
    """`new_pipelines(bootstrap)`: a pipeline of the test's own, on any broker."""
    return lambda bootstrap: new_pipeline(bootstrap, tmp_path_factory.mktemp("pipeline-"))


@pytest.fixture(scope="module")
def worker(pipeline: Pipeline) -> Iterator[subprocess.Popen[bytes]]:
    """`newswire worker` as a subprocess on the module's pipeline; stopped with SIGTERM."""
    proc = pipeline.start_worker("worker")
    try:
        yield proc
    finally:
        pipeline.stop_worker(proc, "worker")


@pytest.fixture(scope="session")
def wait() -> Callable[[Callable[[], object], float, str], object]:
    """`wait(condition, timeout, what)`: poll a condition with a deadline."""
    return wait_until
