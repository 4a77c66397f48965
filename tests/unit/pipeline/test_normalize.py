"""normalize_record: every acceptance rule and every dead-letter reason, on real seed text."""

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from pipeline.errors import (
    BadUrl,
    BodyTooShort,
    DateOutOfRange,
    MissingBody,
    NotJson,
    RejectedArticle,
    SchemaViolation,
    TooLarge,
    UnparseableDate,
)
from pipeline.normalize import normalize_record
from pipeline.settings import CleaningSettings
from pipeline.sources.files import ParsedArticle, read_articles

SEEDS = Path(__file__).parents[2] / "data" / "seeds"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
LIMITS = CleaningSettings()
BODY = "Azerbaijan launched an offensive in Nagorno-Karabakh on Tuesday, officials said."


def _seed(index: int) -> bytes:
    parsed = [r for r in read_articles(sorted(SEEDS.glob("*.txt")))]
    assert all(isinstance(r, ParsedArticle) for r in parsed)
    return parsed[index].article.dumps()  # type: ignore[union-attr]


def _raw(**fields: object) -> bytes:
    return orjson.dumps(fields)


def test_second_seed_loses_its_faq_tail_and_gets_a_headline() -> None:
    article = normalize_record(_seed(1), LIMITS, NOW)
    assert not article.body.rstrip().endswith("Frequently Asked Questions")
    assert article.body.startswith("Amid rising tensions with neighboring Armenia")
    assert article.title.startswith("Amid rising tensions with neighboring Armenia")
    assert len(article.title) <= 150
    assert article.flags == ["boilerplate_stripped", "title_from_body"]
    assert article.published_at == "2023-11-16T00:00:00Z"
    assert article.language is None  # the seed says none: enrich detects it, beside NER
    assert len(article.id) == 16


def test_first_seed_keeps_its_title_and_has_no_flags() -> None:
    article = normalize_record(_seed(0), LIMITS, NOW)
    assert article.title == "Azerbaijan Launches “Anti-Terrorist Campaign” in Nagorno-Karabakh"
    assert article.flags == []
    assert article.published_at == "2023-09-19T00:00:00Z"


def test_id_is_stable_and_depends_on_the_text_when_there_is_no_url() -> None:
    a = normalize_record(_raw(title="T", body=BODY), LIMITS, NOW)
    b = normalize_record(_raw(title="T", body=f"  {BODY}\n\n"), LIMITS, NOW)
    c = normalize_record(_raw(title="T", body=BODY + " More."), LIMITS, NOW)
    assert a.id == b.id
    assert a.id != c.id


def test_id_comes_from_the_canonical_url() -> None:
    a = normalize_record(
        _raw(body=BODY, url="https://News.example/a?utm_source=x#top"), LIMITS, NOW
    )
    b = normalize_record(_raw(body=BODY + " Updated.", url="https://news.example/a"), LIMITS, NOW)
    assert a.id == b.id
    assert a.url == "https://news.example/a"


def test_received_at_and_source_are_carried_through() -> None:
    article = normalize_record(_raw(body=BODY, source="wire", received_at=12.5), LIMITS, NOW)
    assert (article.source, article.received_at, article.normalized_at) == (
        "wire",
        12.5,
        NOW.timestamp(),
    )


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"{not json", NotJson, "not_json"),
        (b"[1, 2]", NotJson, "not_json"),
        (_raw(title="no body"), MissingBody, "missing_body"),
        (_raw(body=3), SchemaViolation, "schema_violation"),
        (_raw(body=BODY, received_at="soon"), SchemaViolation, "schema_violation"),
        (_raw(body=""), BodyTooShort, "body_too_short"),
        (_raw(body="\u200b \n\t "), BodyTooShort, "body_too_short"),
        (_raw(body=BODY, published="the day after"), UnparseableDate, "unparseable_date"),
        (_raw(body=BODY, published="2099-01-01"), DateOutOfRange, "date_out_of_range"),
        (_raw(body=BODY, url="ftp://example.com/x"), BadUrl, "bad_url"),
        (_raw(body="x" * 2_000_001), TooLarge, "too_large"),
    ],
)
def test_rejections_carry_their_reason(
    data: bytes, error: type[RejectedArticle], reason: str
) -> None:
    with pytest.raises(error) as caught:
        normalize_record(data, LIMITS, NOW)
    assert caught.value.reason == reason
    assert caught.value.message


def test_schema_violation_names_the_field() -> None:
    with pytest.raises(SchemaViolation, match=r"^body: must be string$"):
        normalize_record(_raw(body=3), LIMITS, NOW)


def test_unknown_fields_are_ignored() -> None:
    article = normalize_record(_raw(body=BODY, mentions=[1, 2]), LIMITS, NOW)
    assert article.body == BODY


def test_a_given_language_is_kept_as_its_primary_subtag() -> None:
    body = "A council voted on Tuesday to extend the night bus network to the suburbs."
    assert normalize_record(_raw(body=body, lang="en-GB"), LIMITS, NOW).language == "en"
