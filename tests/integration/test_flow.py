"""The whole flow on a real broker: files in with the CLI, articles out in the store and topic."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from pipeline.tail import tail_topic
from pipeline.topology import ARTICLES, DEADLETTER

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
Wait = Callable[[Callable[[], object], float, str], object]


def _read_topic(bootstrap: str, topic: str, count: int) -> list[dict[str, object]]:
    values: list[bytes] = []
    asyncio.run(
        tail_topic(
            bootstrap, topic, values.append, from_beginning=True, max_records=count, idle_timeout=60
        )
    )
    return [orjson.loads(v) for v in values]


def test_seeds_flow_to_the_store_and_the_output_topic(pipeline, worker, wait: Wait) -> None:
    result = pipeline.cli("publish", str(SEEDS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent 2, rejected 0")

    rows = wait(lambda: len(pipeline.stored()) == 2 and pipeline.stored(), 90, "2 stored seeds")
    records = {row[0]: orjson.loads(row[1]) for row in rows}  # type: ignore[index]
    second = next(r for r in records.values() if r["published_at"].startswith("2023-11-16"))
    assert "Frequently Asked Questions" not in second["body"]
    assert "boilerplate_stripped" in second["flags"]

    output = _read_topic(pipeline.settings.kafka_bootstrap, pipeline.topic(ARTICLES), 2)
    assert {r["id"] for r in output} == set(records)

    # The same files again: the store replaces both rows and still has two.
    before = time.time()
    assert pipeline.cli("publish", str(SEEDS)).returncode == 0
    newer = f"SELECT count(*) FROM articles WHERE received_at > {before}"
    wait(lambda: pipeline.stored(newer) == [(2,)], 60, "the re-published seeds to be stored")
    assert pipeline.stored("SELECT count(*) FROM articles") == [(2,)]


def test_bad_records_go_to_the_dead_letter_topic_and_good_ones_still_arrive(
    pipeline, worker, wait: Wait
) -> None:
    good = orjson.dumps(
        {"title": "Good line", "body": "A good article that arrives after two bad ones do."}
    )
    bad = [b'{"title": "broken", "body": ', orjson.dumps({"title": "empty", "body": ""})]
    pipeline.send_raw([*bad, good])

    letters = _read_topic(pipeline.settings.kafka_bootstrap, pipeline.topic(DEADLETTER), 2)
    assert sorted(letter["reason"] for letter in letters) == ["body_too_short", "not_json"]
    assert {base64.b64decode(letter["original"]) for letter in letters} == set(bad)
    assert all(letter["stage"] == "normalize" for letter in letters)
    wait(
        lambda: any(orjson.loads(r[1])["title"] == "Good line" for r in pipeline.stored()),
        60,
        "the good record after the bad ones to be stored",
    )
    assert worker.poll() is None, "the worker must keep running"


def test_publish_reports_bad_lines_sends_good_ones_and_exits_1(pipeline, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"title": "One", "body": "The first line is a well-formed article of some length."}\n'
        '{"title": "Two", "body": \n'
        '{"title": "Three"}\n',
        encoding="utf-8",
    )
    result = pipeline.cli("publish", str(path))
    assert result.returncode == 1
    assert f"{path}:2: not_json:" in result.stderr
    assert f"{path}:3: missing_body:" in result.stderr
    assert "sent 1, rejected 2" in result.stdout
