from datetime import UTC, datetime

import orjson

from pipeline.settings import CleaningSettings
from pipeline.sources.http import check_body
from pipeline.urls import article_id_for_text, article_id_for_url

NOW = datetime(2026, 11, 25, tzinfo=UTC)
LIMITS = CleaningSettings()
BODY = "A body long enough to pass the minimum length that normalize asks of every article."


def test_one_object_array_and_jsonl_give_normalize_ids() -> None:
    one = {"title": "T", "body": BODY, "url": "HTTPS://Example.org/a?utm_source=x"}
    checked = check_body(orjson.dumps(one), jsonl=False, limits=LIMITS, now=NOW)
    assert checked.ids == [article_id_for_url("https://example.org/a")]
    assert checked.accepted[0].body == BODY and not checked.rejected

    no_url = {"title": "T", "body": BODY}
    array = check_body(orjson.dumps([one, no_url]), jsonl=False, limits=LIMITS, now=NOW)
    assert array.ids[1] == article_id_for_text("T", BODY)

    lines = b"\n".join([orjson.dumps(one), b"", orjson.dumps(no_url)])
    assert check_body(lines, jsonl=True, limits=LIMITS, now=NOW).ids == array.ids


def test_each_rejection_names_index_line_and_reason() -> None:
    lines = [
        b'{"body": "' + BODY.encode() + b'"}',
        b"{not json",
        b'{"title": "no body"}',
        b'{"body": 42}',
        b'{"body": "' + BODY.encode() + b'", "published": "yesterday-ish"}',
        b"[1, 2]",
    ]
    checked = check_body(b"\n".join(lines), jsonl=True, limits=LIMITS, now=NOW)
    assert len(checked.ids) == 1
    assert [(r.index, r.line, r.reason) for r in checked.rejected] == [
        (1, 2, "not_json"),
        (2, 3, "missing_body"),
        (3, 4, "schema_violation"),
        (4, 5, "unparseable_date"),
        (5, 6, "not_json"),
    ]
    assert check_body(b"{oops", jsonl=False, limits=LIMITS, now=NOW).rejected[0].reason == (
        "not_json"
    )
