"""`newswire audit` on a real pipeline: all accounted for, then holes made on purpose."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import orjson
import pytest
from flight import publish, real_records

from pipeline.topology import RAW

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
COUNT = 200
FAST = {"NEWSWIRE_NER_ENABLED": "false", "NEWSWIRE_DEDUPE_ENABLED": "false"}


def test_audit_passes_a_whole_run_and_names_each_hole_made_on_purpose(pipeline, wait: Wait) -> None:
    bootstrap = pipeline.settings.kafka_bootstrap
    records = real_records(COUNT)
    refused = orjson.dumps({"title": "no body here"})
    worker = pipeline.start_worker("worker", **FAST)
    try:
        publish(bootstrap, pipeline.topic(RAW), [*records, refused])
        wait(lambda: len(pipeline.stored()) >= COUNT, 120, f"{COUNT} stored articles")
        wait(lambda: pipeline.cli("audit").returncode == 0, 60, "a clean audit")
    finally:
        pipeline.stop_worker(worker, "worker")

    clean = pipeline.cli("audit")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"news.raw: {COUNT + 1:,} records; dead-lettered: normalize 1" in clean.stdout
    assert f"store            arrived {COUNT:,} of {COUNT:,}; missing 0" in clean.stdout
    assert clean.stdout.rstrip().endswith("OK: nothing lost, no duplicate rows")

    # Hole 1: a stored row deleted behind the pipeline's back.
    [(gone,)] = pipeline.stored("SELECT id FROM articles ORDER BY id LIMIT 1")
    with sqlite3.connect(pipeline.store_path) as conn:
        conn.execute("DELETE FROM articles WHERE id = ?", (gone,))
    # Hole 2: a record published while no worker runs never reaches news.clean.
    late = orjson.dumps({"title": "Late", "body": "An article nobody processed, on purpose."})
    publish(bootstrap, pipeline.topic(RAW), [late])

    holes = pipeline.cli("audit")
    assert holes.returncode == 1, holes.stdout + holes.stderr
    lines = holes.stdout.splitlines()
    assert f"store            arrived {COUNT - 1:,} of {COUNT + 1:,}; missing 2" in holes.stdout
    assert any(line.strip().startswith(f"missing {gone} (news.raw ") for line in lines)
    late_line = next(line for line in lines if "news.clean" in line)
    assert "missing 1" in late_line
    assert lines[-1] == "LOST 2, duplicate rows 0"


def test_audit_fails_in_one_line_on_a_wrong_store_a_wrong_prefix_or_no_broker(
    pipeline, tmp_path
) -> None:
    no_store = pipeline.cli("audit", "--store-url", f"sqlite:///{tmp_path / 'nope.db'}")
    assert no_store.returncode == 1
    assert no_store.stderr.strip() == (
        f"Error: no store at {tmp_path / 'nope.db'}: check --store-url or NEWSWIRE_DATA_DIR"
    )
    assert not (tmp_path / "nope.db").exists()

    (tmp_path / "empty.db").touch()
    pipeline.env["NEWSWIRE_TOPIC_PREFIX"] = "nosuchprefix."
    try:
        wrong_prefix = pipeline.cli("audit", "--store-url", f"sqlite:///{tmp_path / 'empty.db'}")
    finally:
        pipeline.env["NEWSWIRE_TOPIC_PREFIX"] = pipeline.settings.topic_prefix
    assert wrong_prefix.returncode == 1
    assert "topic 'nosuchprefix.news.raw' does not exist" in wrong_prefix.stderr
    assert len(wrong_prefix.stderr.strip().splitlines()) == 1

    no_broker = pipeline.cli(
        "--bootstrap-server",
        "127.0.0.1:1",
        "audit",
        "--store-url",
        f"sqlite:///{tmp_path / 'empty.db'}",
    )
    assert no_broker.returncode == 1
    assert no_broker.stderr.strip().startswith("Error: no Kafka broker answered at 127.0.0.1:1")
    assert len(no_broker.stderr.strip().splitlines()) == 1
