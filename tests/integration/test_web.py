"""The web UI's API, stream, metrics and probes over HTTP, on a live worker and a real broker."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from waiting import await_until

from pipeline.broker import free_port
from pipeline.topology import RAW
from pipeline.web.queries import Cursor

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
Wait = Callable[[Callable[[], object], float, str], object]


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, str]]:
    """The next `count` server-sent events (comments and `retry:` lines skipped)."""
    events: list[dict[str, str]] = []
    event: dict[str, str] = {}
    async with asyncio.timeout(60):
        while len(events) < count:
            line = (await response.content.readline()).decode().rstrip("\n")
            if not line:
                if "data" in event:
                    events.append(event)
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                if name != "retry":
                    event[name] = value
    return events


@pytest.fixture(scope="module")
def web(pipeline: Any) -> Iterator[str]:
    """A worker with its web server on a known port; yields the base URL."""
    port = free_port()
    proc: subprocess.Popen[bytes] = pipeline.start_worker("web", NEWSWIRE_WEB_PORT=str(port))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        pipeline.stop_worker(proc, "web")


@pytest.fixture
async def http(web: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=web) as session:

        async def up() -> bool:
            try:
                async with session.get("/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientConnectionError:
                return False

        await await_until(up, 90, "the worker's web server")
        yield session


async def get_json(http: aiohttp.ClientSession, path: str, status: int = 200) -> Any:
    async with http.get(path) as r:
        assert r.status == status, await r.text()
        assert r.content_type == "application/json"
        return await r.json(loads=orjson.loads)


@pytest.fixture(scope="module")
def seeded(pipeline: Any, web: str, wait: Wait) -> list[str]:
    """The two seeds published with the CLI and stored; their ids."""
    result = pipeline.cli("publish", str(SEEDS))
    assert result.returncode == 0, result.stderr
    wait(lambda: len(pipeline.stored()) == 2, 90, "2 stored seeds")
    return sorted(str(row[0]) for row in pipeline.stored())


async def test_articles_api_serves_the_stored_seeds(
    http: aiohttp.ClientSession, seeded: list[str]
) -> None:
    listed = await get_json(http, "/api/articles")
    assert sorted(a["id"] for a in listed["articles"]) == seeded
    assert all(a["body"] and a["stored_at"] > 0 for a in listed["articles"])

    one = await get_json(http, f"/api/articles/{seeded[0]}")
    assert one["id"] == seeded[0] and "Azerbaijan" in one["body"]
    await get_json(http, "/api/articles/0000000000000000", status=404)

    source = one["source"]
    by_source = await get_json(http, f"/api/articles?source={source}&body=0")
    assert [a["id"] for a in by_source["articles"]] == [seeded[0]]
    assert "body" not in by_source["articles"][0]
    assert len((await get_json(http, "/api/articles?limit=1"))["articles"]) == 1
    assert (await get_json(http, "/api/articles?since=2999-01-01"))["articles"] == []
    bad = await get_json(http, "/api/articles?limit=many", status=400)
    assert "limit" in bad["error"]
    await get_json(http, "/api/stories/no-such-story", status=404)


async def test_stats_count_the_seeds(http: aiohttp.ClientSession, seeded: list[str]) -> None:
    async def counted() -> Any:
        stats = await get_json(http, "/api/stats")  # cached for a second: poll
        return stats if stats["stored"]["store"]["articles"] == 2 else None

    stats = await await_until(counted, 30, "/api/stats to count 2 stored articles")
    assert stats["processed"] >= 2
    names = [s["name"] for s in stats["flow"]["stages"]]
    assert names[0] == "normalize" and names[-1] == "store"
    assert stats["flow"]["stages"][0]["ok"] >= 2
    assert stats["end_to_end"]["count"] >= 2


async def test_metrics_parse_and_count_normalized_articles(
    http: aiohttp.ClientSession, seeded: list[str]
) -> None:
    async with http.get("/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = await r.text()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples["newswire_articles_total", (("outcome", "ok"), ("stage", "normalize"))] >= 2
    assert samples["newswire_stored_total", ()] >= 2
    assert samples["newswire_end_to_end_seconds_count", ()] >= 2
    assert ("newswire_stage_seconds_count", (("stage", "store"),)) in samples
    assert any(name == "process_cpu_seconds_total" for name, _ in samples)


async def test_stream_delivers_articles_and_resumes_after_last_event_id(
    http: aiohttp.ClientSession, seeded: list[str], pipeline: Any
) -> None:
    async with http.get("/api/stream?since=0&body=0") as r:
        assert r.status == 200
        assert r.content_type == "text/event-stream"
        first, second = await read_events(r, 2)
    assert first["event"] == second["event"] == "article"
    assert sorted(orjson.loads(e["data"])["id"] for e in (first, second)) == seeded

    headers = {"Last-Event-ID": first["id"]}
    async with http.get("/api/stream?body=0", headers=headers) as r:
        (resumed,) = await read_events(r, 1)
        assert resumed["id"] == second["id"]
        # Then live: an article published now arrives on the open stream.
        title = f"Live article {time.time()}"
        body = "A new article that arrives while a subscriber is connected to the stream."
        raw = orjson.dumps({"title": title, "body": body, "source": "web-test"})
        await pipeline.asend_raw([raw])
        (live,) = await read_events(r, 1)
    assert orjson.loads(live["data"])["title"] == title
    assert Cursor.parse(live["id"]) > Cursor.parse(second["id"])


async def test_a_bad_record_shows_as_a_dead_letter(
    http: aiohttp.ClientSession, pipeline: Any
) -> None:
    await pipeline.asend_raw([b"{not json"])

    async def dead() -> Any:
        letters = (await get_json(http, "/api/stats"))["deadletters"]
        return letters if letters["by_reason"].get("not_json") else None

    letters = await await_until(dead, 60, "a not_json dead letter in /api/stats")
    latest = letters["latest"][0]
    assert (latest["stage"], latest["reason"]) == ("normalize", "not_json")
    assert latest["where"].startswith(pipeline.topic(RAW) + "[")


async def test_probes_and_pages(http: aiohttp.ClientSession) -> None:
    async with http.get("/healthz") as r:
        assert r.status == 200

    async def ready() -> Any:
        async with http.get("/readyz") as r:
            body = await r.json()
            return body if r.status == 200 else None

    body = await await_until(ready, 90, "/readyz to answer 200")
    assert body["checks"]["partitions"] > 0 and body["checks"]["store"] is True
    async with http.get("/") as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert "newswire" in await r.text()
    async with http.get("/static/dashboard.js") as r:
        assert r.status == 200 and r.content_type == "text/javascript"
    async with http.get("/static/../app.py") as r:
        assert r.status == 404
    async with http.get("/table") as r:  # Faust's table data endpoints are off by default
        assert r.status == 404
