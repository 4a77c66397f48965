"""`newswire bench faults`: every fault path, round after round, audited for loss.

Each round is a fresh pipeline (its own topics, consumer group and PostgreSQL database) on
a broker and a PostgreSQL server of the soak's own, so it can stop and start them. A round
publishes `count` real articles, injects its fault while they are in flight, waits until
the pipeline has settled, and audits it (`pipeline.audit`): every raw record must be in the
store or a dead letter, and no article may have two rows.

The paths (the round number picks one, in this order, so kill -9 comes twice as often):

- `kill`: two workers share the partitions; one is killed (SIGKILL) mid-stream;
- `rebalance`: a second worker joins mid-stream, then leaves (SIGTERM): two rebalances;
- `broker`: the broker is stopped for `outage` seconds, then started again;
- `store`: PostgreSQL is stopped until the store agent has retried, then started again;
- `poison`: a record no stage can read is put on each stage's input topic mid-stream.

NER and the story decision are off (the non-NLP path), as in the fault tests: every stage
still runs and moves every record, at thousands of articles a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.audit import AuditReport
from pipeline.audit_inputs import run_audit
from pipeline.bench.scale import fresh_store, group_state, query_one, worker_env
from pipeline.bench.worker import produce_all
from pipeline.broker import LocalBroker, free_port
from pipeline.processes import stop_process
from pipeline.settings import Settings
from pipeline.store.local_postgres import SUPERUSER, LocalPostgres
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW, STAGES

__all__ = ["PATHS", "RoundResult", "fault_rounds"]

PATHS = ("kill", "rebalance", "kill", "broker", "store", "poison")
MID_STREAM = 500
"""Stored articles before the broker goes down: the first batches are through."""
FAST = {
    "NEWSWIRE_NER_ENABLED": "false",
    "NEWSWIRE_DEDUPE_ENABLED": "false",
    # A killed worker's partitions move on after 10 s instead of 60.
    "NEWSWIRE_CONSUMER_SESSION_TIMEOUT": "10",
    "NEWSWIRE_LOG_LEVEL": "info",
}
POISON = b"\xff poison " + b"x" * 64


@dataclass(frozen=True)
class RoundResult:
    """One round's figures."""

    number: int
    path: str
    published: int
    stored: int
    lost: int
    duplicate_rows: int
    redelivered: int  # extra copies on the topics (at-least-once allows them)
    first_lost: list[str]  # "id (news.raw partition@offset)"
    seconds: float
    logs: Path


class _Round:
    """One round's pipeline: settings, store, named worker processes."""

    def __init__(self, settings: Settings, store_url: str, workdir: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.settings = settings.model_copy(
            update={"topic_prefix": f"soak{tag}.", "app_id": f"newswire-soak-{tag}"}
        )
        self.store_url = store_url
        self.dir = workdir / f"round-{tag}"
        self.dir.mkdir(parents=True)
        self.env = worker_env(self.settings, store_url, **FAST)
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        asyncio.run(create_pipeline_topics(self.settings))

    def start(self, name: str) -> None:
        data_dir = self.dir / name
        data_dir.mkdir()
        env = {
            **self.env,
            "NEWSWIRE_DATA_DIR": str(data_dir),
            "NEWSWIRE_WEB_PORT": str(free_port()),
        }
        with (self.dir / f"{name}.log").open("wb") as log:
            self.workers[name] = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def publish(self, topic: str, records: Sequence[bytes]) -> None:
        asyncio.run(
            produce_all(self.settings.kafka_bootstrap, self.settings.topic_name(topic), records)
        )

    @contextlib.contextmanager
    def publishing(self, records: Sequence[bytes], rate: float) -> Iterator[Callable[[], int]]:
        """Publish `records` to news.raw at `rate` a second in the background, so the fault
        falls while articles are still arriving at every hop; yields how many are sent so
        far, and the block waits for the end."""
        chunk = max(1, int(rate / 4))
        sent = [0]

        def run() -> None:
            started = time.monotonic()
            for n in range(0, len(records), chunk):
                pause = started + n / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # pacing the load generator
                self.publish(RAW, records[n : n + chunk])
                sent[0] = n + len(records[n : n + chunk])

        publisher = threading.Thread(target=run, name="publisher")
        publisher.start()
        try:
            yield lambda: sent[0]
        finally:
            publisher.join()

    def stored(self) -> int:
        return int(query_one(self.store_url, "SELECT count(*) FROM articles")[0])

    def members(self) -> tuple[str, int]:
        return asyncio.run(group_state(self.settings.kafka_bootstrap, self.settings.app_id))

    def wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `condition` until it holds; RuntimeError (with the logs' tails) at the deadline."""
        deadline = time.monotonic() + timeout
        while not condition():
            for name, proc in self.workers.items():
                if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                    raise RuntimeError(
                        f"worker {name} exited while {what}:\n{self.log(name)[-3000:]}"
                    )
            if time.monotonic() > deadline:
                raise RuntimeError(f"not {what} within {timeout:g} s")
            time.sleep(0.5)  # the poll interval of a wait with a deadline

    def settle(self, expected: int, timeout: float) -> None:
        """Until `expected` articles are stored, or the store has not grown for 30 s."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while (now := self.stored()) < expected and time.monotonic() < deadline:
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > 30:
                return  # stuck short: the audit says what is missing
            time.sleep(0.5)

    def close(self) -> None:
        for proc in self.workers.values():
            stop_process(proc)


def _mid_stream(run: _Round, sent: Callable[[], int], published: int) -> None:
    """Until `published` records are on news.raw and the first are stored: the fault then
    falls while every hop has work in flight and more is arriving."""
    run.wait(lambda: sent() >= published, 300, f"{published:,} published")
    run.wait(lambda: run.stored() >= 1, 300, "the first batch stored")


def _kill(run: _Round, records: Sequence[bytes], services: _Services) -> None:
    run.start("first")
    run.wait(lambda: run.members() == ("Stable", 1), 90, "the first member joined")
    run.start("second")
    run.wait(lambda: run.members() == ("Stable", 2), 90, "a group of 2")
    with run.publishing(records, services.rate) as sent:
        _mid_stream(run, sent, len(records) // 3)
        run.workers["second"].send_signal(signal.SIGKILL)  # kill -9: no commit, no goodbye
        run.workers["second"].wait()


def _rebalance(run: _Round, records: Sequence[bytes], services: _Services) -> None:
    run.start("first")
    run.wait(lambda: run.members() == ("Stable", 1), 90, "the first member joined")
    with run.publishing(records, services.rate) as sent:
        _mid_stream(run, sent, len(records) // 5)
        run.start("second")
        run.wait(lambda: run.members() == ("Stable", 2), 90, "the second member joined")
        stop_process(run.workers["second"])  # a graceful leave: the group rebalances again


def _broker(run: _Round, records: Sequence[bytes], services: _Services) -> None:
    run.start("worker")
    run.publish(RAW, records)
    run.wait(lambda: run.stored() >= MID_STREAM, 300, "the first batches stored")
    services.broker.stop()
    time.sleep(services.outage)  # the outage itself, not a synchronisation
    services.broker.start()


def _store(run: _Round, records: Sequence[bytes], services: _Services) -> None:
    run.start("worker")
    with run.publishing(records, services.rate) as sent:
        _mid_stream(run, sent, len(records) // 3)
        services.postgres.stop()
        try:
            # Down until the store agent has failed twice: it keeps the batch it could not
            # write.
            run.wait(
                lambda: "store write failed (attempt 2" in run.log("worker"),
                60,
                "the store retried",
            )
        finally:
            services.postgres.start()


def _poison(run: _Round, records: Sequence[bytes], services: _Services) -> None:
    run.start("worker")
    with run.publishing(records, services.rate) as sent:
        _mid_stream(run, sent, len(records) // 3)
        for stage in STAGES:  # mid-stream, into each stage's own input topic
            run.publish(stage.source, [POISON])


@dataclass
class _Services:
    broker: LocalBroker
    postgres: LocalPostgres
    outage: float
    rate: float


_FAULTS: dict[str, Callable[[_Round, Sequence[bytes], _Services], None]] = {
    "kill": _kill,
    "rebalance": _rebalance,
    "broker": _broker,
    "store": _store,
    "poison": _poison,
}


@contextlib.contextmanager
def _services(settings: Settings, workdir: Path, outage: float, rate: float) -> Iterator[_Services]:
    """A broker and a PostgreSQL server of the soak's own, to stop and start."""
    broker_settings = settings.broker.model_copy(
        update={
            "port": free_port(),
            "controller_port": free_port(),
            "data_dir": workdir / "kafka",
        }
    )
    broker = LocalBroker(broker_settings)
    pg_dir = Path(tempfile.mkdtemp(prefix="newswire-pg-"))
    if os.geteuid() == 0:
        shutil.chown(pg_dir, SUPERUSER, SUPERUSER)
    postgres = LocalPostgres(pg_dir / "data")
    broker.start()
    try:
        postgres.start()
        try:
            yield _Services(broker, postgres, outage, rate)
        finally:
            if postgres.running():
                postgres.stop()
            shutil.rmtree(pg_dir, ignore_errors=True)
    finally:
        broker.stop()


def _audited(
    number: int, path: str, run: _Round, report: AuditReport, seconds: float, published: int
) -> RoundResult:
    return RoundResult(
        number=number,
        path=path,
        published=published,
        stored=run.stored(),
        lost=len(report.lost),
        duplicate_rows=report.duplicate_rows,
        redelivered=sum(
            n - 1
            for hop in report.hops
            if not hop.repeats_are_faults
            for n in hop.repeated.values()
        ),
        first_lost=[f"{m.article_id} ({m.where})" for m in report.lost[:5]],
        seconds=seconds,
        logs=run.dir,
    )


def fault_rounds(
    settings: Settings,
    rounds: int,
    records_for: Callable[[int], Sequence[bytes]],
    *,
    paths: Sequence[str] = PATHS,
    outage: float = 10.0,
    rate: float = 500.0,
    workdir: Path,
) -> Iterator[RoundResult]:
    """Run `rounds` rounds, cycling through `paths`; yields each round's result as it ends.

    `records_for(n)` gives round n's records (distinct articles each round).
    """
    unknown = set(paths) - _FAULTS.keys()
    if unknown:
        raise ValueError(f"unknown fault paths {sorted(unknown)}; known: {sorted(_FAULTS)}")
    with _services(settings, workdir, outage, rate) as services:
        settings = settings.model_copy(update={"kafka_bootstrap": services.broker.bootstrap})
        for n in range(rounds):
            path = paths[n % len(paths)]
            records = records_for(n)
            started = time.monotonic()
            run = _Round(
                settings, fresh_store("postgresql", workdir, services.postgres.url), workdir
            )
            try:
                _FAULTS[path](run, records, services)
                run.settle(len(records), timeout=600)
                report = asyncio.run(run_audit(run.settings, run.store_url))
            finally:
                run.close()
            yield _audited(n, path, run, report, time.monotonic() - started, len(records))
