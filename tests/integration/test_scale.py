"""Two workers in one consumer group share the partitions and a PostgreSQL store; one is
killed mid-stream, and every article is still stored exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from flight import lost_and_duplicated, publish, real_records, stored_count

from pipeline.topology import RAW

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
COUNT = 5_000
# The non-NLP path (NER and the story decision off; test_dedupe covers a killed worker's
# story index); the killed worker's partitions move on after 10 s instead of 60.
FAST = {
    "NEWSWIRE_NER_ENABLED": "false",
    "NEWSWIRE_DEDUPE_ENABLED": "false",
    "NEWSWIRE_CONSUMER_SESSION_TIMEOUT": "10",
}


def _group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """The group's state and its number of members, from the broker."""

    async def describe() -> tuple[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [response] = await admin.describe_consumer_groups([group])
        except KafkaError:  # the coordinator is still being elected: no group yet
            return "", 0
        else:
            _error, _id, state, _ptype, _protocol, members, *_ = response.groups[0]
            return state, len(members)
        finally:
            await admin.close()

    return asyncio.run(describe())


def test_two_workers_share_the_partitions_and_survive_losing_one(
    pipeline, postgres_url: str, tmp_path: Path, wait: Wait
) -> None:
    bootstrap, group = pipeline.settings.kafka_bootstrap, pipeline.settings.app_id
    shared = {**FAST, "NEWSWIRE_STORE_URL": postgres_url}
    first = pipeline.start_worker("first", NEWSWIRE_DATA_DIR=str(tmp_path / "first"), **shared)
    second = None
    try:
        wait(lambda: _group_members(bootstrap, group) == ("Stable", 1), 90, "the first member")
        second = pipeline.start_worker(
            "second", NEWSWIRE_DATA_DIR=str(tmp_path / "second"), **shared
        )
        wait(lambda: _group_members(bootstrap, group) == ("Stable", 2), 90, "a 2-member group")

        records = real_records(COUNT)
        publish(bootstrap, pipeline.topic(RAW), records)
        wait(lambda: stored_count(postgres_url) >= 500, 300, "the first batches stored")
        second.send_signal(signal.SIGKILL)  # mid-stream, without a goodbye to the group
        assert second.wait() == -signal.SIGKILL
        assert stored_count(postgres_url) < COUNT, "the kill came too late to test"
        wait(lambda: stored_count(postgres_url) >= COUNT, 600, f"{COUNT:,} stored articles")
        assert lost_and_duplicated(postgres_url, records) == (0, 0)
        assert first.poll() is None
    finally:
        if second is not None:
            pipeline.stop_worker(second, "second")
        pipeline.stop_worker(first, "first")
