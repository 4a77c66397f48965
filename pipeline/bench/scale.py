"""`newswire bench scale`: the non-NLP path with 1 and 2 workers, on SQLite and PostgreSQL.

For each store and worker count, a fresh pipeline (its own topics, consumer group and store)
gets N `newswire worker` processes in one group; once the group is stable:

1. throughput: a backlog of articles is published at once and worked through; articles/s
   from the first stored batch to the last (the first batch's articles are not counted);
2. latency: articles published at a steady rate (by default half the store's 1-worker
   throughput, the same for 2 workers), each stamped `received_at` as it is sent; p50/p99
   of `stored_at - received_at` (publish → stored, the same clock).

Several workers on one SQLite file share it through WAL and take turns at its write lock;
PostgreSQL takes their transactions side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from pipeline.bench.worker import percentile, produce_all, publish_paced
from pipeline.broker import free_port
from pipeline.processes import stop_process
from pipeline.settings import Settings
from pipeline.store.local_postgres import SUPERUSER, LocalPostgres
from pipeline.store.sql import sync_url
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW

__all__ = [
    "ScaleResult",
    "WorkerGroup",
    "fresh_store",
    "group_state",
    "local_postgres",
    "query_one",
    "scale_run",
    "worker_env",
]


@dataclass(frozen=True)
class ScaleResult:
    """One configuration's figures."""

    store: str
    workers: int
    rate: float  # articles/s through a backlog
    p50: float  # publish → stored seconds, at the paced load
    p99: float
    paced_rate: float


def query_one(store_url: str, sql: str) -> tuple[float, ...]:
    engine = create_engine(sync_url(store_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(sql)).one()
            return tuple(float(v or 0) for v in row)
    except (OperationalError, ProgrammingError):  # the workers have not created it yet
        return (0.0,)
    finally:
        engine.dispose()


async def group_state(bootstrap: str, group: str) -> tuple[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        _error, _id, state, _ptype, _protocol, members, *_ = response.groups[0]
        return str(state), len(members)
    except KafkaError:  # no coordinator yet
        return "", 0
    finally:
        await admin.close()


def worker_env(settings: Settings, store_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `newswire worker` on `settings`' broker, topics, group and
    partitions, writing to `store_url`; `extra` NEWSWIRE_* variables on top."""
    return {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "NEWSWIRE_TOPIC_PREFIX": settings.topic_prefix,
        "NEWSWIRE_APP_ID": settings.app_id,
        "NEWSWIRE_PARTITIONS": str(settings.partitions),
        "NEWSWIRE_STORE_URL": store_url,
        **extra,
    }


class WorkerGroup:
    """`workers` worker processes in one consumer group on fresh topics and one store."""

    def __init__(self, settings: Settings, store_url: str, workers: int, **env: str) -> None:
        tag = uuid.uuid4().hex[:8]
        self._tmp = tempfile.TemporaryDirectory(prefix="newswire-scale-")
        self.dir = Path(self._tmp.name)
        self.settings = settings.model_copy(
            update={"topic_prefix": f"scale{tag}.", "app_id": f"newswire-scale-{tag}"}
        )
        self.store_url = store_url
        self.workers = workers
        self.env = worker_env(self.settings, store_url, NEWSWIRE_LOG_LEVEL="warning", **env)
        self.raw_topic = self.settings.topic_name(RAW)
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> WorkerGroup:
        asyncio.run(create_pipeline_topics(self.settings))
        for n in range(self.workers):
            data_dir = self.dir / f"worker-{n}"
            data_dir.mkdir()
            env = {
                **self.env,
                "NEWSWIRE_DATA_DIR": str(data_dir),
                "NEWSWIRE_WEB_PORT": str(free_port()),
            }
            with (data_dir / "worker.log").open("wb") as log:
                self._procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "pipeline.cli", "worker"],
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
        return self

    def _check_alive(self, what: str) -> None:
        for n, proc in enumerate(self._procs):
            if proc.poll() is not None:
                log = (self.dir / f"worker-{n}" / "worker.log").read_text(errors="replace")
                raise RuntimeError(f"worker {n} exited while {what}:\n{log[-3000:]}")

    def _block(self, seconds: float) -> None:
        # Waiting on the first worker doubles as the poll interval of the callers' loops.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._procs[0].wait(timeout=seconds)

    def wait_stable(self, timeout: float = 180) -> None:
        """Block until every worker is a member of the stable group."""
        deadline = time.monotonic() + timeout
        target = ("Stable", self.workers)
        while asyncio.run(group_state(self.settings.kafka_bootstrap, self.settings.app_id)) != (
            target
        ):
            self._check_alive("joining the group")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no stable group of {self.workers} within {timeout:g} s")
            self._block(0.5)

    def stored(self, sql: str) -> tuple[float, ...]:
        return query_one(self.store_url, sql)

    def wait_stored(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.stored("SELECT count(*) FROM articles")[0] < count:
            self._check_alive(f"storing {count} articles")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} articles not stored within {timeout:g} s")
            self._block(0.5)

    def backlog_rate(self, records: Sequence[bytes], timeout: float = 1800) -> float:
        """Articles/s through `records` published at once, first stored batch to last."""
        asyncio.run(produce_all(self.settings.kafka_bootstrap, self.raw_topic, records))
        self.wait_stored(len(records), timeout)
        first, last, total = self.stored(
            "SELECT min(stored_at), max(stored_at), count(*) FROM articles"
        )
        in_first = self.stored(f"SELECT count(*) FROM articles WHERE stored_at = {first!r}")[0]
        return (total - in_first) / (last - first)

    def paced_latencies(self, records: Sequence[bytes], rate: float) -> list[float]:
        """publish → stored seconds of `records` sent at `rate`/s, each stamped as it goes."""
        already = int(self.stored("SELECT count(*) FROM articles")[0])

        since = asyncio.run(
            publish_paced(self.settings.kafka_bootstrap, self.raw_topic, records, rate)
        )
        self.wait_stored(already + len(records), 600)
        engine = create_engine(sync_url(self.store_url), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT stored_at - received_at FROM articles WHERE received_at >= :since"
                    ),
                    {"since": since},
                ).all()
        finally:
            engine.dispose()
        return [float(r[0]) for r in rows]

    def __exit__(self, *_: object) -> None:
        for proc in self._procs:
            stop_process(proc)
        self._tmp.cleanup()


@contextlib.contextmanager
def local_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server for the run; yields its server URL."""
    base = tempfile.mkdtemp(prefix="newswire-pg-")
    if os.geteuid() == 0:
        shutil.chown(base, SUPERUSER, SUPERUSER)
    server = LocalPostgres(Path(base) / "data")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def fresh_store(store: str, workdir: Path, postgres_url: str | None) -> str:
    name = f"scale_{uuid.uuid4().hex[:10]}"
    if store == "sqlite":
        return f"sqlite:///{workdir / name}.db"
    assert postgres_url is not None
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_url.rpartition('/')[0]}/{name}"


def scale_run(
    settings: Settings,
    store: str,
    workers: int,
    backlog: Sequence[bytes],
    spare: Sequence[bytes],
    paced_rate: float | None,
    paced_seconds: float,
    workdir: Path,
    postgres_url: str | None,
) -> ScaleResult:
    """One configuration: `workers` workers on a fresh `store`, backlog then paced load.

    The paced load runs at `paced_rate`, or at half the backlog rate just measured; its
    records come from `spare` (distinct from the backlog's, so none is an update).
    """
    store_url = fresh_store(store, workdir, postgres_url)
    with WorkerGroup(settings, store_url, workers, NEWSWIRE_NER_ENABLED="false") as group:
        group.wait_stable()
        rate = group.backlog_rate(backlog)
        paced_rate = paced_rate or rate / 2
        paced = spare[: max(1, int(paced_rate * paced_seconds))]
        latencies = group.paced_latencies(paced, paced_rate)
    return ScaleResult(
        store,
        workers,
        rate,
        percentile(latencies, 50),
        percentile(latencies, 99),
        paced_rate,
    )
