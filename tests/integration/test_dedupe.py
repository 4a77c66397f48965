"""dedupe on a real broker: the seeds are one story (also alone in an empty index), copies are
duplicates, across partitions and across a worker killed with SIGKILL.

The index is warmed with the 40 bundled Wikinews articles first, as `make demo` does, so the
decision sees a realistic document-frequency table. Articles are published one at a time
and awaited, so their order on news.enriched is the order they are listed here.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka.partitioner import murmur2

from pipeline.sources.files import SAMPLE_NEWS_DIR, ParsedArticle, read_articles
from pipeline.topology import ENRICHED
from pipeline.urls import article_id_for_url

pytestmark = pytest.mark.integration

SEEDS = sorted((Path(__file__).parents[1] / "data" / "seeds").glob("*.txt"))
Wait = Callable[[Callable[[], object], float, str], object]


def _seed(path: Path) -> dict[str, Any]:
    """The seed as `newswire publish` reads it, as a JSON article to edit and publish."""
    (parsed,) = read_articles([path])
    assert isinstance(parsed, ParsedArticle), parsed
    return {k: v for k, v in parsed.article.asdict().items() if v is not None}


def _copy(article: dict[str, Any], url: str) -> dict[str, Any]:
    """A syndicated copy: a byline, two paragraphs swapped, a few words changed."""
    paragraphs = [p for p in article["body"].split("\n\n") if p.strip()]
    paragraphs[0], paragraphs[1] = paragraphs[1], paragraphs[0]
    body = "\n\n".join(paragraphs)
    for old, new in (("announced", "declared"), ("statement", "communique"), ("region", "area")):
        body = body.replace(old, new, 1)
    return {**article, "body": f"By Staff Reporter, Wire Service\n\n{body}", "url": url}


def _partition(article_id_: str, partitions: int = 4) -> int:
    """The news.clean partition of an id (Kafka's default partitioner: murmur2 of the key)."""
    return (murmur2(article_id_.encode()) & 0x7FFFFFFF) % partitions


def _url_on_another_partition(than: str, stem: str) -> str:
    for n in range(100):
        url = f"https://wire.example.com/{stem}/{n}"
        if _partition(article_id_for_url(url)) != _partition(than):
            return url
    raise AssertionError("no URL on another partition")


@pytest.fixture(scope="module")
def dedupe_worker(pipeline) -> Iterator[list[subprocess.Popen[bytes]]]:
    """A worker the test may kill and replace; the list holds the live one."""
    procs = [pipeline.start_worker("dedupe-1")]
    try:
        yield procs
    finally:
        pipeline.stop_worker(procs[-1], f"dedupe-{len(procs)}")


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc; Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _record(pipeline, article_id_: str) -> dict[str, Any] | None:
    rows = pipeline.stored(f"SELECT record FROM articles WHERE id = '{article_id_}'")
    return orjson.loads(rows[0][0]) if rows else None


def _publish_one(
    pipeline, wait: Wait, article: dict[str, Any], tmp_path: Path, worker: subprocess.Popen[bytes]
) -> dict[str, Any]:
    path = tmp_path / "one.json"
    path.write_bytes(orjson.dumps(article))
    before = {row[0] for row in pipeline.stored("SELECT id FROM articles")}
    result = pipeline.cli("publish", str(path))
    assert result.returncode == 0, result.stderr

    def stored_new() -> list[tuple[object, ...]]:
        assert worker.poll() is None, f"the worker exited with {worker.returncode}"
        return [r for r in pipeline.stored("SELECT id FROM articles") if r[0] not in before]

    rows = wait(stored_new, 120, "the article to be stored")
    return _record(pipeline, rows[0][0])  # type: ignore[index]


def test_the_seeds_alone_in_an_empty_index_are_one_story(
    new_pipelines: Callable[[str], Any], kafka_bootstrap: str, wait: Wait, tmp_path: Path
) -> None:
    # No cold start: nothing was published before the seeds, so every document frequency
    # the decision reads is wordfreq's general prior (stories-5; before it, two stories).
    fresh = new_pipelines(kafka_bootstrap)
    worker = fresh.start_worker("dedupe-empty")
    try:
        first = _publish_one(fresh, wait, _seed(SEEDS[0]), tmp_path, worker)
        second = _publish_one(fresh, wait, _seed(SEEDS[1]), tmp_path, worker)
    finally:
        fresh.stop_worker(worker, "dedupe-empty")
    assert fresh.stored("SELECT count(*) FROM articles") == [(2,)]
    assert first["kind"] == "new" and first["story_id"] == first["id"]
    assert second["kind"] == "same_story", second["similarity"]
    assert (second["story_id"], second["related_to"]) == (first["id"], first["id"])
    assert second["similarity"]["days"] == 58


def test_seeds_are_one_story_copies_are_duplicates_and_a_restart_remembers(
    pipeline, dedupe_worker, wait: Wait, tmp_path: Path
) -> None:
    assert pipeline.cli("publish", str(SAMPLE_NEWS_DIR)).returncode == 0

    def sample_stored() -> bool:
        assert dedupe_worker[-1].poll() is None, "the worker exited"
        return pipeline.stored("SELECT count(*) FROM articles") == [(40,)]

    wait(sample_stored, 180, "the 40 sample articles to be stored")
    kinds = pipeline.stored("SELECT kind, count(*) FROM articles GROUP BY kind")
    assert dict(kinds)["new"] >= 30, kinds  # mostly distinct Wikinews stories

    first = _publish_one(pipeline, wait, _seed(SEEDS[0]), tmp_path, dedupe_worker[-1])
    assert first["kind"] == "new" and first["story_id"] == first["id"]
    second = _publish_one(pipeline, wait, _seed(SEEDS[1]), tmp_path, dedupe_worker[-1])
    assert second["kind"] == "same_story", second["similarity"]
    assert (second["story_id"], second["related_to"]) == (first["id"], first["id"])
    assert second["algo_version"] and second["method"]
    # enrich sketched them (in its finishing process) and carried the sketch to dedupe
    enriched = pipeline.cli(
        "tail", "--topic", pipeline.topic(ENRICHED), "--from-beginning", "--json", "-n", "42"
    )
    carried = {r["id"]: r["story_sketch"] for r in map(orjson.loads, enriched.stdout.splitlines())}
    for seed in (first, second):
        assert carried[seed["id"]].startswith(f"{second['algo_version']}:")

    copy_url = _url_on_another_partition(first["id"], "copy")
    copy = _publish_one(
        pipeline, wait, _copy(_seed(SEEDS[0]), copy_url), tmp_path, dedupe_worker[-1]
    )
    assert copy["kind"] == "duplicate", copy["similarity"]
    assert (copy["duplicate_of"], copy["story_id"]) == (first["id"], first["id"])
    assert copy["similarity"]["jaccard"] >= pipeline.settings.dedupe_duplicate_jaccard

    # SIGKILL: no clean shutdown; the new worker must rebuild the index from the changelog.
    # Its NER processes must not outlive it as orphans holding a model each.
    pool = _children(dedupe_worker[-1].pid)
    assert pool, "the worker runs NER in child processes"
    dedupe_worker[-1].send_signal(signal.SIGKILL)
    dedupe_worker[-1].wait(30)
    wait(lambda: not any(map(_running, pool)), 30, "the killed worker's NER processes to exit")
    dedupe_worker.append(pipeline.start_worker("dedupe-2"))
    later_url = _url_on_another_partition(second["id"], "after-restart")
    later = _publish_one(
        pipeline, wait, _copy(_seed(SEEDS[1]), later_url), tmp_path, dedupe_worker[-1]
    )
    assert later["kind"] == "duplicate", later["similarity"]
    assert (later["duplicate_of"], later["story_id"]) == (second["id"], first["id"])
