"""One field vocabulary: the file reader, normalize and the HTTP check map names alike."""

from datetime import UTC, datetime
from pathlib import Path

import orjson
from jsonschema import Draft202012Validator

from pipeline.normalize import parse_raw
from pipeline.settings import CleaningSettings
from pipeline.sources.files import ParsedArticle, read_articles
from pipeline.sources.http import check_body
from schemas.jsonschema import record_schema
from schemas.raw import FIELD_NAMES, RawArticle

RECORD = {
    "content": "A long enough body for the cleaning limits, about a council vote on buses.",
    "headline": "Buses",
    "link": "https://example.org/a",
    "published_at": 1764547200.0,
    "id": 7,
    "lang": "en",
    "body": None,  # null counts as absent: "content" gives the body
}
EXPECTED = RawArticle(
    body=RECORD["content"],
    title="Buses",
    url="https://example.org/a",
    published="1764547200",
    external_id="7",
    language="en",
)


def test_every_way_in_reads_the_same_record(tmp_path: Path) -> None:
    data = orjson.dumps(RECORD)
    (tmp_path / "a.json").write_bytes(data)
    [parsed] = read_articles([tmp_path / "a.json"], source=None)
    assert isinstance(parsed, ParsedArticle)
    assert parsed.article == EXPECTED.derive(source="file:a.json")
    assert parse_raw(data, CleaningSettings()) == EXPECTED
    checked = check_body(data, jsonl=False, limits=CleaningSettings(), now=datetime.now(UTC))
    assert (checked.accepted, checked.rejected) == ([EXPECTED], [])


def test_the_schema_admits_and_describes_every_name() -> None:
    schema = record_schema(RawArticle)
    validator = Draft202012Validator(schema)
    for field, names in FIELD_NAMES.items():
        assert set(names) <= set(schema["properties"]), field
        if len(names) > 1:
            assert f"{field} ← {', '.join(names)}" in schema["description"]
    assert validator.is_valid(RECORD)
    assert not validator.is_valid({"headline": "no body under any name"})
    assert not validator.is_valid({"text": 3})
    assert not validator.is_valid({"body": None, "text": None})
