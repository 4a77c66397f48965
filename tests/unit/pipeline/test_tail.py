"""format_record: the readable line `newswire tail` prints."""

from pipeline.tail import format_record


def test_article_line_has_date_id_title_source_and_entities() -> None:
    line = format_record(
        {
            "id": "bc241506b953dc3f",
            "title": "Azerbaijan launches offensive",
            "published_at": "2023-09-19T00:00:00Z",
            "source": "wire",
            "entities": [{"text": "Azerbaijan"}, {"text": "Armenia"}],
            "kind": "new",
        }
    )
    assert line == (
        "2023-09-19  bc241506b953dc3f  Azerbaijan launches offensive  [new]  · wire"
        "  · Azerbaijan, Armenia"
    )


def test_decisions_name_the_matched_article() -> None:
    base = {"id": "b", "title": "T"}
    assert "[duplicate of a]" in format_record({**base, "kind": "duplicate", "duplicate_of": "a"})
    assert "[same story as a]" in format_record({**base, "kind": "same_story", "related_to": "a"})


def test_dead_letter_line_has_stage_reason_and_position() -> None:
    line = format_record(
        {
            "stage": "normalize",
            "reason": "not_json",
            "message": "not JSON: unexpected character",
            "source_topic": "news.raw",
            "source_partition": 0,
            "source_offset": 7,
        }
    )
    assert line == "DEAD normalize: not_json: not JSON: unexpected character (news.raw[0]@7)"


def test_other_records_print_as_json() -> None:
    assert format_record({"x": 1}) == '{"x":1}'
