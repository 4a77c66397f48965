"""`POST /api/articles` on a live worker and a real broker: every answer, and 10,000 articles."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from pipeline.tail import tail_topic
from pipeline.topology import RAW
from pipeline.urls import article_id_for_url

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
TOKEN = "test-token-6"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SAMPLES = Path(__file__).parents[2] / "pipeline" / "sample_news" / "articles.jsonl"
LIMIT = 16_000_000


def _articles(count: int, tag: str, lead_only: bool = False) -> list[dict[str, Any]]:
    """`count` real Wikinews articles (or their lead paragraphs), cycled, each with its URL."""
    samples = [orjson.loads(line) for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    out = []
    for i in range(count):
        sample = samples[i % len(samples)]
        out.append(
            {
                "title": sample.get("title"),
                "body": sample["text"].split("\n\n")[0] if lead_only else sample["text"],
                "published": sample.get("date"),
                "url": f"https://example.org/{tag}/{i}",
                "source": f"ingest-{tag}",
            }
        )
    return out


@pytest.fixture(scope="module")
def api(pipeline: Any) -> Iterator[str]:
    proc: subprocess.Popen[bytes] = pipeline.start_worker(
        "ingest",
        NEWSWIRE_API_TOKEN=TOKEN,
        NEWSWIRE_API_MAX_BODY_BYTES=str(LIMIT),
        NEWSWIRE_NER_ENABLED="false",
        NEWSWIRE_FEEDS_ENABLED="false",
    )
    try:
        yield f"http://127.0.0.1:{pipeline.web_ports['ingest']}"
    finally:
        pipeline.stop_worker(proc, "ingest")


@pytest.fixture
async def http(api: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=api) as session:
        yield session


async def _ready(http: aiohttp.ClientSession) -> None:
    from waiting import await_until

    async def up() -> bool:
        try:
            async with http.get("/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await await_until(up, 90, "the worker's web server")


async def test_auth_type_and_size_answers(http: aiohttp.ClientSession) -> None:
    await _ready(http)
    one = orjson.dumps(_articles(1, "auth")[0])
    json_type = {"Content-Type": "application/json"}
    async with http.post("/api/articles", data=one, headers=json_type) as r:
        assert r.status == 401
    bad = {**json_type, "Authorization": "Bearer wrong"}
    async with http.post("/api/articles", data=one, headers=bad) as r:
        assert r.status == 401
    async with http.post(
        "/api/articles", data=b"hello", headers={**AUTH, "Content-Type": "text/plain"}
    ) as r:
        assert r.status == 415
        assert "application/json" in (await r.json())["error"]
    async with http.post(
        "/api/articles", data=io.BytesIO(b" " * (LIMIT + 1)), headers={**AUTH, **json_type}
    ) as r:
        assert r.status == 413
    async with http.get("/api/articles?limit=1") as r:  # the read API on the same path
        assert r.status == 200


async def test_rejections_name_each_record_and_publish_nothing(
    http: aiohttp.ClientSession, pipeline: Any, wait: Wait
) -> None:
    await _ready(http)
    good = _articles(2, "mixed")
    records = [good[0], {"title": "no body"}, {"body": "short"}, {**good[1], "url": "ftp://x"}]
    headers = {**AUTH, "Content-Type": "application/json"}
    async with http.post("/api/articles", data=orjson.dumps(records), headers=headers) as r:
        assert r.status == 400
        answer = await r.json()
    assert answer["accepted"] == 0 and answer["ids"] == []
    reasons = {item["index"]: item["reason"] for item in answer["rejected"]}
    assert reasons == {1: "missing_body", 2: "body_too_short", 3: "bad_url"}

    jsonl = b"\n".join(orjson.dumps(r) for r in records) + b"\nnot json\n"
    ndjson = {**AUTH, "Content-Type": "application/x-ndjson"}
    async with http.post("/api/articles?partial=1", data=jsonl, headers=ndjson) as r:
        assert r.status == 202
        answer = await r.json()
    assert answer["accepted"] == 1 and len(answer["ids"]) == 1
    assert [(i["line"], i["reason"]) for i in answer["rejected"]] == [
        (2, "missing_body"),
        (3, "body_too_short"),
        (4, "bad_url"),
        (5, "not_json"),
    ]
    accepted = answer["ids"][0]
    wait(lambda: pipeline.stored(f"SELECT id FROM articles WHERE id = '{accepted}'"), 60, "stored")
    # The all-or-nothing POST above published nothing: only the partial one's record is here.
    rows = pipeline.stored("SELECT id FROM articles WHERE source = 'ingest-mixed'")
    assert [r[0] for r in rows] == [accepted]


async def test_ten_thousand_jsonl_articles_arrive_completely(
    http: aiohttp.ClientSession, pipeline: Any
) -> None:
    await _ready(http)
    articles = _articles(10_000, "bulk", lead_only=True)
    body = b"\n".join(orjson.dumps(a) for a in articles) + b"\n"
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    async with http.post("/api/articles", data=io.BytesIO(body), headers=headers) as r:
        assert r.status == 202, await r.text()
        answer = await r.json()
    assert answer["accepted"] == 10_000 and not answer["rejected"]
    assert len(set(answer["ids"])) == 10_000
    # The 202 came after Kafka acknowledged every record: all of them are on news.raw now.
    values: list[bytes] = []
    await tail_topic(
        pipeline.settings.kafka_bootstrap,
        pipeline.topic(RAW),
        values.append,
        from_beginning=True,
        max_records=10_000 + 10,  # the other tests' records are there too
        idle_timeout=10,
    )
    bulk = [orjson.loads(v) for v in values]
    bulk = [r for r in bulk if r.get("source") == "ingest-bulk"]
    assert sorted(r["url"] for r in bulk) == sorted(a["url"] for a in articles)
    assert all(r["received_at"] for r in bulk)
    # The ids given back are the ids normalize assigns: the hash of the canonical URL.
    assert answer["ids"] == [article_id_for_url(a["url"]) for a in articles]
