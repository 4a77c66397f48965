"""`newswire replay`: news.raw re-run into a separate pipeline, the live one untouched."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from pipeline.broker import free_port
from pipeline.processes import stop_process

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
Wait = Callable[[Callable[[], object], float, str], object]


def _rows(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            return list(conn.execute("SELECT id, record FROM articles"))
        except sqlite3.OperationalError:  # not created yet
            return []


def test_replay_runs_news_raw_again_into_its_own_topics_and_store(pipeline, wait: Wait) -> None:
    assert pipeline.cli("publish", str(SEEDS)).returncode == 0  # no worker: only news.raw
    bad = pipeline.cli("replay", "--from-beginning", "--dedupe-threshold", "1.5")
    assert bad.returncode == 2 and "NEWSWIRE_DEDUPE_STORY_THRESHOLD='1.5'" in bad.stderr

    log = pipeline.settings.data_dir / "replay.log"
    command = ["replay", "--from-beginning", "--name", "r1", "--dedupe-threshold", "0.9"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *command, "--web-port", str(free_port())],
            env=pipeline.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    replay_store = pipeline.settings.data_dir / "r1.db"
    try:

        def replayed() -> list[tuple[str, str]]:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            rows = _rows(replay_store)
            return rows if len(rows) == 2 else []

        rows = wait(replayed, 180, "the replay to store both seeds")
    finally:
        stop_process(proc)
    printed = log.read_text()
    assert "2 records copied" in printed
    assert f"{pipeline.topic('news.raw')} → {pipeline.settings.topic_prefix}r1.news.raw" in printed
    assert "story threshold 0.9," in printed
    records = [orjson.loads(record) for _, record in rows]  # type: ignore[union-attr]
    # At threshold 0.9 the seeds (story cosine about 0.4) are two stories.
    assert sorted(r["kind"] for r in records) == ["new", "new"]
    assert all(r["algo_version"] for r in records)
    assert pipeline.stored() == []  # the live store was never written
