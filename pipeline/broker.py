"""The local single-node Apache Kafka broker (KRaft) behind `make demo`, the tests and the CLI.

The broker's jars come from Maven Central through `docker/kafka/pom.xml` (run by `mvn`), are
checked against `docker/kafka/SHA256SUMS` for the pinned version and cached per user. The
broker runs detached (`java ... kafka.Kafka server.properties`) with its state, log and pidfile
in `BrokerSettings.data_dir`, so separate `newswire broker start|stop|status` calls can find it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from pipeline.settings import BrokerSettings

__all__ = [
    "PINNED_KAFKA_VERSION",
    "POM_DIR",
    "BrokerError",
    "BrokerStatus",
    "LocalBroker",
    "ensure_topics",
    "free_port",
    "kafka_libs",
    "new_cluster_id",
    "render_server_properties",
    "verify_jars",
    "wait_for_broker",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

POM_DIR = Path(__file__).resolve().parents[1] / "docker" / "kafka"
"""Holds `pom.xml` (what to fetch) and `SHA256SUMS` (what the pinned version's jars must be)."""

PINNED_KAFKA_VERSION = "4.0.0"
"""The version `SHA256SUMS` lists; must equal the pom's default `kafka.version`."""

_NO_MVN = (
    "mvn not found: install Maven (Debian: apt-get install maven) "
    "or set NEWSWIRE_KAFKA_BOOTSTRAP to an existing cluster"
)
_NO_JAVA = (
    "java not found: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless) "
    "or set NEWSWIRE_KAFKA_BOOTSTRAP to an existing cluster"
)


class BrokerError(Exception):
    """The local broker could not be fetched, started or reached; the message says what to do."""


@dataclass(frozen=True)
class BrokerStatus:
    """What `LocalBroker.status()` found."""

    running: bool
    pid: int | None
    bootstrap: str
    data_dir: Path
    version: str


def _read_sums(sums_file: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in sums_file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest.lower()  # `*name` is sha256sum's binary mode
    return sums


def verify_jars(libs: Path, sums_file: Path) -> None:
    """Check that `libs` holds exactly the jars `sums_file` lists, with those sha256 digests."""
    expected = _read_sums(sums_file)
    present = {p.name for p in libs.glob("*.jar")}
    retry = f"delete {libs} and retry"
    if unlisted := sorted(present - expected.keys()):
        raise BrokerError(f"jar(s) not listed in {sums_file}: {', '.join(unlisted)}; {retry}")
    if missing := sorted(expected.keys() - present):
        raise BrokerError(f"jar(s) missing from {libs}: {', '.join(missing)}; {retry}")
    for name in sorted(expected):
        with (libs / name).open("rb") as f:
            got = hashlib.file_digest(f, "sha256").hexdigest()
        if got != expected[name]:
            raise BrokerError(
                f"checksum mismatch for {name}: expected {expected[name]}, got {got}; {retry}"
            )


def kafka_libs(settings: BrokerSettings) -> Path:
    """Return `cache_dir/kafka/<version>/libs` with the broker's jars, fetching them if needed."""
    version = settings.kafka_version
    dest = settings.cache_dir / "kafka" / version / "libs"
    sums = POM_DIR / "SHA256SUMS" if version == PINNED_KAFKA_VERSION else None
    if dest.is_dir():
        if sums is not None:
            verify_jars(dest, sums)  # ~40 MB: a full check costs ~0.1 s and catches a torn cache
        return dest
    if not (POM_DIR / "pom.xml").is_file():
        raise BrokerError(f"{POM_DIR / 'pom.xml'} not found: run newswire from its source tree")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(_NO_MVN)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    # Fetch beside the destination so the final rename is atomic: a half-fetched set is never
    # mistaken for a cached one.
    with tempfile.TemporaryDirectory(prefix=".kafka-fetch-", dir=settings.cache_dir) as tmp:
        out = Path(tmp) / "libs"
        cmd = [mvn, "-q", "-B", "-C", "-f", str(POM_DIR / "pom.xml")]
        cmd += ["dependency:copy-dependencies", f"-DoutputDirectory={out}"]
        cmd += ["-DincludeScope=runtime", f"-Dkafka.version={version}"]
        log.info("fetching Apache Kafka %s jars from Maven Central", version)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            lines = [ln.rstrip() for ln in (proc.stdout + proc.stderr).splitlines()]
            if "[ERROR]" in lines:  # Maven's generic advice follows the first bare "[ERROR]"
                lines = lines[: lines.index("[ERROR]")]
            tail = "\n".join(lines[-20:])
            raise BrokerError(
                f"mvn could not fetch Apache Kafka {version} (exit {proc.returncode}): check the "
                f"version and access to Maven Central (or ~/.m2/settings.xml)\n{tail}"
            )
        if sums is not None:
            verify_jars(out, sums)
        else:
            log.warning(
                "Kafka %s is not the pinned %s: its jars are not checked against %s",
                version,
                PINNED_KAFKA_VERSION,
                POM_DIR / "SHA256SUMS",
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            out.rename(dest)
        except OSError:
            if not dest.is_dir():  # else another process fetched the same version meanwhile
                raise
    return dest


def render_server_properties(settings: BrokerSettings, log_dir: Path) -> str:
    """The `server.properties` of a combined broker+controller node with one replica of all."""
    host = settings.host
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{settings.controller_port}",
        "listeners": f"PLAINTEXT://{host}:{settings.port},CONTROLLER://{host}:"
        f"{settings.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{settings.port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # On a restart the controller honours the previous broker incarnation's session for
        # this long and refuses the new registration meanwhile (default 9 s).
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "1000",
        # Off: a producer writing to a missing topic gets an error instead of a topic with
        # `num.partitions` (1) that the pipeline then cannot use. Faust declares its own
        # topics (table changelogs, the leader topic) through the admin API.
        "auto.create.topics.enable": "false",
    }
    lines = ["# Written by newswire (pipeline/broker.py) on every start; edits are lost."]
    return "\n".join([*lines, *(f"{k}={v}" for k, v in props.items()), ""])


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes, URL-safe base64, never starting with "-".

    As Kafka's own `Uuid.randomUuid()`: an id starting with "-" (1 in 64) would be read as
    an option by the storage tool's argument parser, and formatting would fail.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Java does: TIME_WAIT is fine
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


async def _answers(bootstrap: str, within: float) -> bool:
    """Whether a Kafka broker at `bootstrap` returns cluster metadata within `within` s."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    try:
        # A bare TCP connect first: aiokafka logs an ERROR line for every refused bootstrap.
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, int(port))
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError, ValueError):
        return False
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=max(1000, int(within * 1000))
    )
    try:
        async with asyncio.timeout(within):
            await admin.start()
            await admin.describe_cluster()
        return True
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()


async def _poll(bootstrap: str, within: float, check: Callable[[], None] | None = None) -> bool:
    """Poll `_answers` with a growing back-off; `check` may raise to give up early."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = 0.1
    while True:
        if check is not None:
            check()
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        if await _answers(bootstrap, min(remaining, 5.0)):
            return True
        await asyncio.sleep(max(0.0, min(delay, deadline - loop.time())))
        delay = min(delay * 1.5, 1.0)


async def wait_for_broker(bootstrap: str, timeout: float) -> None:
    """Return once the cluster at `bootstrap` answers a metadata request; BrokerError on timeout."""
    if not await _poll(bootstrap, timeout):
        raise BrokerError(
            f"no Kafka broker answered at {bootstrap} within {timeout:g} s: start one with "
            "`newswire broker start` or point NEWSWIRE_KAFKA_BOOTSTRAP at a running cluster"
        )


async def ensure_topics(
    bootstrap: str,
    partitions: Mapping[str, int],
    replication_factor: int,
    timeout: float = 30,
    configs: Mapping[str, str] | None = None,
) -> list[str]:
    """Create the missing topics, wait until every partition has a leader; return those created.

    `configs` are topic configs for the topics created (e.g. `max.message.bytes`); a topic
    that already exists keeps its own, and is fine unless it has fewer partitions than asked.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            # list_topics, not describe_topics: aiokafka's metadata request for named topics
            # allows auto-creation, which would create the missing ones with 1 partition.
            existing = set(await admin.list_topics())
            missing = [t for t in partitions if t not in existing]
            created: list[str] = []
            if missing:
                new = [
                    NewTopic(
                        t, partitions[t], replication_factor, topic_configs=dict(configs or {})
                    )
                    for t in missing
                ]
                response = await admin.create_topics(new, timeout_ms=int(timeout * 1000))
                for topic, code, *rest in response.topic_errors:
                    if code == 0:
                        created.append(topic)
                    elif code != TopicAlreadyExistsError.errno:  # a concurrent creator won
                        detail = rest[0] if rest and rest[0] else for_code(code).__name__
                        raise BrokerError(
                            f"could not create topic {topic} on {bootstrap}: {detail}"
                        )
            await _wait_for_leaders(admin, partitions, set(created))
            return created
    except TimeoutError:
        raise BrokerError(
            f"topics {', '.join(partitions)} on {bootstrap} not ready within {timeout:g} s"
        ) from None
    except KafkaError as exc:
        raise BrokerError(
            f"topic request to Kafka at {bootstrap} failed ({exc!r}): is it running "
            "(`newswire broker status`) and is NEWSWIRE_KAFKA_BOOTSTRAP right?"
        ) from exc
    finally:
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, partitions: Mapping[str, int], created: set[str]
) -> None:
    delay = 0.05
    while True:
        ready = True
        for meta in await admin.describe_topics(list(partitions)):
            topic, parts = meta["topic"], meta["partitions"]
            if meta["error_code"] != 0:
                ready = False  # a just-created topic may not be in the metadata yet
            elif topic not in created and len(parts) < partitions[topic]:
                raise BrokerError(
                    f"topic {topic} exists with {len(parts)} partitions, fewer than the "
                    f"{partitions[topic]} needed: `newswire topics add-partitions` grows it"
                )
            elif any(p["error_code"] != 0 or p["leader"] < 0 for p in parts):
                ready = False
        if ready:
            return
        await asyncio.sleep(delay)  # back-off between polls; the caller's deadline bounds it
        delay = min(delay * 2, 0.5)


def _run_on_own_loop(coro: Coroutine[Any, Any, _T]) -> _T:
    # start() is synchronous but may be called from a thread that runs an event loop (an async
    # fixture, a worker): asyncio.run() refuses to nest there, and on the main thread it also
    # unsets the thread's current loop. So: a fresh loop on a thread of its own, a daemon one so
    # that Ctrl-C in the caller is not held up until the probe's deadline.
    done: Future[_T] = Future()

    def run() -> None:
        try:
            done.set_result(asyncio.run(coro))
        except BaseException as exc:  # handed to the caller, whatever it is
            done.set_exception(exc)

    threading.Thread(target=run, name="kafka-probe", daemon=True).start()
    return done.result()


class LocalBroker:
    """One single-node KRaft broker whose state lives in `settings.data_dir`."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self.log_file = self.data_dir / "kafka.log"
        self.pid_file = self.data_dir / "broker.pid"
        self._proc: subprocess.Popen[bytes] | None = None  # set when this object started it

    @property
    def bootstrap(self) -> str:
        """The client address, `host:port`."""
        return f"{self.settings.host}:{self.settings.port}"

    def status(self) -> BrokerStatus:
        """Whether the broker of this data dir runs, and where."""
        pid = self._running_pid()
        s = self.settings
        return BrokerStatus(pid is not None, pid, self.bootstrap, self.data_dir, s.kafka_version)

    def start(self, timeout: float = 90) -> None:
        """Start the broker (fetching jars first) and return once it answers; no-op if running."""
        if self._running_pid() is not None:
            _run_on_own_loop(wait_for_broker(self.bootstrap, timeout))
            return
        s = self.settings
        for port in (s.port, s.controller_port):
            if _port_in_use(s.host, port):
                raise BrokerError(
                    f"port {port} on {s.host} is taken by another process: stop it or choose "
                    "other ports (NEWSWIRE_BROKER_PORT, NEWSWIRE_BROKER_CONTROLLER_PORT)"
                )
        libs = kafka_libs(s)
        java = shutil.which("java")
        if java is None:
            raise BrokerError(_NO_JAVA)
        classpath = f"{libs}{os.sep}*"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_dir = self.data_dir / "kraft"
        props = self.data_dir / "server.properties"
        props.write_text(render_server_properties(s, log_dir))
        if not (log_dir / "meta.properties").exists():
            self._format(java, classpath, props)
        cmd = [java, f"-Xmx{s.heap}", "-Dorg.slf4j.simpleLogger.showDateTime=true"]
        cmd += ["-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"]
        cmd += ["-cp", classpath, "kafka.Kafka", str(props)]
        # The log holds the current run only; new session: Ctrl-C in the shell that ran
        # `newswire broker start` must not reach the broker.
        with self.log_file.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self._proc = proc
        self.pid_file.write_text(f"{proc.pid}\n")

        def check() -> None:
            if proc.poll() is not None:
                raise BrokerError(
                    f"the Kafka broker exited with code {proc.returncode} while starting; "
                    f"last lines of {self.log_file}:\n{self._log_tail()}"
                )

        try:
            if not _run_on_own_loop(_poll(self.bootstrap, timeout, check)):
                raise BrokerError(
                    f"the Kafka broker at {self.bootstrap} did not answer within {timeout:g} s; "
                    f"last lines of {self.log_file}:\n{self._log_tail()}"
                )
        except BaseException:
            self.stop()  # a failed or interrupted start must not leave a broker running unseen
            raise

    def stop(self, timeout: float = 30) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after `timeout` s); return whether it ran."""
        pid = self._running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)  # stale
            return False
        os.kill(pid, signal.SIGTERM)  # Kafka shuts down cleanly on SIGTERM
        if not self._wait_exit(pid, timeout):
            log.warning("Kafka broker %d ignored SIGTERM for %g s: killing it", pid, timeout)
            os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 10)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _format(self, java: str, classpath: str, props: Path) -> None:
        cluster_id = new_cluster_id()
        cmd = [java, "-cp", classpath, "kafka.tools.StorageTool", "format"]
        cmd += ["-t", cluster_id, "-c", str(props)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BrokerError(
                f"formatting the broker storage failed (exit {proc.returncode}); delete "
                f"{self.data_dir} and retry:\n{(proc.stdout + proc.stderr).strip()[-2000:]}"
            )

    def _running_pid(self) -> int | None:
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None  # poll() reaped our child, whoever stopped it
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if self._alive(pid) else None

    def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # our child: poll() also reaps it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, owned by someone else
        try:
            # Guards against a reused pid, and a zombie (state Z) its parent has not reaped.
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return True  # no /proc (macOS): trust kill(0)
        return b"kafka.Kafka" in cmdline and state != "Z"

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while self._alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)  # back-off while polling the exit; the deadline bounds it
            delay = min(delay * 2, 0.5)
        return True

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
