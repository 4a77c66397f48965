"""One field vocabulary at every way in: a file, a plain producer on news.raw, and POST.

The same kind of record, written with the other names (`text`, `headline`, `link`,
`pubDate` in epoch seconds, a numeric `id`, `lang`), reaches the store through each door
with the same fields, and none is dead-lettered as `missing_body`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from waiting import await_until

from pipeline.tail import tail_topic
from pipeline.topology import DEADLETTER

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
BODY = (
    "The city council of {door} voted on Tuesday to extend the night bus network to the "
    "northern suburbs, after a year of complaints from shift workers about the last bus."
)


def _record(door: str, number: int) -> dict[str, Any]:
    return {
        "text": BODY.format(door=door),
        "headline": f"Night buses reach the suburbs ({door})",
        "link": f"https://example.org/field-names/{door}",
        "pubDate": 1764547200,  # 2025-12-01T00:00:00Z
        "id": number,
        "lang": "en",
        "site": "ignored: not a field",
    }


@pytest.fixture(scope="module")
def api(pipeline: Any) -> Iterator[str]:
    proc: subprocess.Popen[bytes] = pipeline.start_worker(
        "fields", NEWSWIRE_NER_ENABLED="false", NEWSWIRE_FEEDS_ENABLED="false"
    )
    try:
        yield f"http://127.0.0.1:{pipeline.web_ports['fields']}"
    finally:
        pipeline.stop_worker(proc, "fields")


async def test_other_field_names_work_at_every_way_in(
    pipeline: Any, api: str, tmp_path: Path, wait: Wait
) -> None:
    # 1. newswire publish FILE
    path = tmp_path / "aliases.jsonl"
    path.write_bytes(orjson.dumps(_record("file", 1)) + b"\n")
    published = pipeline.cli("publish", str(path))
    assert published.returncode == 0, published.stderr
    # 2. any Kafka producer, straight onto news.raw
    await pipeline.asend_raw([orjson.dumps(_record("producer", 2))])
    # 3. POST /api/articles
    async with aiohttp.ClientSession(base_url=api) as http:

        async def posted() -> int | None:
            try:
                async with http.post("/api/articles", json=_record("post", 3)) as response:
                    return response.status if response.status != 503 else None
            except aiohttp.ClientError:
                return None

        assert await await_until(posted, 90, "POST /api/articles answering") == 202

    def stored() -> dict[str, dict[str, Any]]:
        rows = pipeline.stored("SELECT record FROM articles")
        return {r["url"]: r for r in (orjson.loads(row[0]) for row in rows)}

    wait(lambda: len(stored()) == 3, 90, "three stored articles")
    for number, door in enumerate(("file", "producer", "post"), 1):
        record = stored()[f"https://example.org/field-names/{door}"]
        assert record["title"] == f"Night buses reach the suburbs ({door})"
        assert record["body"] == BODY.format(door=door)
        assert record["published_at"].startswith("2025-12-01T00:00:00")
        assert record["external_id"] == str(number)
        assert record["language"] == "en"
    dead: list[bytes] = []
    await tail_topic(
        pipeline.settings.kafka_bootstrap,
        pipeline.topic(DEADLETTER),
        dead.append,
        from_beginning=True,
        idle_timeout=2,
    )
    assert dead == []
