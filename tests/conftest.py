"""Shared fixtures: one Kafka broker per test session, started only if a test asks for it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pipeline.broker import LocalBroker, free_port, wait_for_broker
from pipeline.settings import BrokerSettings


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
