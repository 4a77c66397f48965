"""Decoding topic records and building dead letters."""

import base64

import pytest

from pipeline.deadletter import dead_letter
from pipeline.errors import NotJson, SchemaViolation, UnparseableDate
from pipeline.records import decode_record
from schemas import CleanArticle

CLEAN = CleanArticle(id="a1", title="T", body="Body text.", word_count=2, normalized_at=5.0)


def test_decode_round_trips_a_record() -> None:
    assert decode_record(CLEAN.dumps(), CleanArticle) == CLEAN


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (b"\xff\xfe", NotJson, "not JSON"),
        (b'"a string"', NotJson, "got str"),
        (b'{"id": "x"}', SchemaViolation, "missing title, body, word_count, normalized_at"),
    ],
)
def test_decode_refuses_what_is_not_the_record(data: bytes, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        decode_record(data, CleanArticle)


def test_dead_letter_keeps_the_original_bytes_and_where_they_came_from() -> None:
    letter = dead_letter(
        UnparseableDate("no format reads 'soon'"),
        stage="normalize",
        original=b'{"body": "x", "published": "soon"}',
        failed_at=9.0,
        topic="news.raw",
        partition=2,
        offset=41,
        key=b"k1",
    )
    assert letter.reason == "unparseable_date"
    assert letter.message == "no format reads 'soon'"
    assert base64.b64decode(letter.original) == b'{"body": "x", "published": "soon"}'
    assert (letter.source_topic, letter.source_partition, letter.source_offset, letter.key) == (
        "news.raw",
        2,
        41,
        "k1",
    )
