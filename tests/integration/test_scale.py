"""Two workers in one consumer group share the partitions, and every article is stored once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
COUNT = 200


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


def test_two_workers_share_the_partitions(pipeline, tmp_path: Path, wait: Wait) -> None:
    bootstrap, group = pipeline.settings.kafka_bootstrap, pipeline.settings.app_id
    first = pipeline.start_worker("first", NEWSWIRE_DATA_DIR=str(tmp_path / "first"))
    second = None
    try:
        wait(lambda: _group_members(bootstrap, group) == ("Stable", 1), 90, "the first member")
        second = pipeline.start_worker("second", NEWSWIRE_DATA_DIR=str(tmp_path / "second"))
        wait(lambda: _group_members(bootstrap, group) == ("Stable", 2), 90, "a 2-member group")

        path = tmp_path / "many.jsonl"
        path.write_text(
            "".join(
                f'{{"title": "Article {n}", "body": "Body of article number {n}, '
                f'long enough to pass the minimum length."}}\n'
                for n in range(COUNT)
            )
        )
        assert pipeline.cli("publish", str(path)).returncode == 0
        wait(
            lambda: pipeline.stored("SELECT count(*) FROM articles") == [(COUNT,)],
            120,
            f"{COUNT} stored articles",
        )
        assert first.poll() is None and second.poll() is None
    finally:
        if second is not None:
            pipeline.stop_worker(second, "second")
        pipeline.stop_worker(first, "first")
