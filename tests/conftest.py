"""Shared fixtures: one Kafka broker and one PostgreSQL server per session, each started only
if a test asks for it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from postgres import new_database

from pipeline.broker import LocalBroker, free_port, wait_for_broker
from pipeline.settings import BrokerSettings
from pipeline.store.local_postgres import LocalPostgres


def _local_broker_settings(data_dir: Path) -> BrokerSettings:
    """Settings for a throw-away broker on free ports; jars come from the per-user cache."""
    port = free_port()
    controller_port = free_port()
    while controller_port == port:
        controller_port = free_port()
    cache = os.environ.get("NEWSWIRE_CACHE_DIR") or Path.home() / ".cache" / "newswire"
    return BrokerSettings(
        kafka_version=os.environ.get("NEWSWIRE_KAFKA_VERSION", "4.0.0"),
        cache_dir=Path(cache),
        host="127.0.0.1",
        port=port,
        controller_port=controller_port,
        heap="512m",
        data_dir=data_dir,
    )


@pytest.fixture(scope="session")
async def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Bootstrap address of a Kafka cluster: `KAFKA_BOOTSTRAP` if set, else a local broker."""
    external = os.environ.get("KAFKA_BOOTSTRAP") or os.environ.get("NEWSWIRE_KAFKA_BOOTSTRAP")
    if external:
        await wait_for_broker(external, timeout=60)
        yield external
        return
    broker = LocalBroker(_local_broker_settings(tmp_path_factory.mktemp("kafka")))
    # start()/stop() block for seconds: off the session loop's thread.
    await asyncio.to_thread(broker.start)
    try:
        yield broker.bootstrap
    finally:
        await asyncio.to_thread(broker.stop)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server: `NEWSWIRE_TEST_POSTGRES_URL` if set, else a local one.

    The local one lives in a directory under the system temp dir, not pytest's: its files
    belong to the `postgres` user, who cannot enter root's 0700 pytest directories.
    """
    external = os.environ.get("NEWSWIRE_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    data_dir = tempfile.mkdtemp(prefix="newswire-pg-")
    server = LocalPostgres(Path(data_dir) / "data")
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return new_database(postgres_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL on each backend: the store suite runs against both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newswire.db'}"
    return str(request.getfixturevalue("postgres_url"))
