"""The exported JSON Schema files agree with the record models, and records validate."""

import json

import pytest
from jsonschema import Draft202012Validator

from schemas import Article, CleanArticle, DeadLetter, Entity, RawArticle
from schemas.jsonschema import TOPIC_RECORDS, record_schema, render, schema_path


@pytest.mark.parametrize("name", sorted(TOPIC_RECORDS))
def test_exported_schema_file_matches_model(name: str) -> None:
    exported = schema_path(name).read_text(encoding="utf-8")
    assert exported == render(TOPIC_RECORDS[name]), (
        f"schemas/{name}.schema.json is stale: run `newswire schemas export`"
    )


@pytest.mark.parametrize("name", sorted(TOPIC_RECORDS))
def test_exported_schema_is_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(json.loads(schema_path(name).read_text(encoding="utf-8")))


def test_required_fields_are_those_without_defaults() -> None:
    # news.raw: the body is required under one of its names (schemas.raw.FIELD_NAMES).
    assert "required" not in record_schema(RawArticle)
    assert [alt["required"] for alt in record_schema(RawArticle)["anyOf"]] == [
        ["body"],
        ["text"],
        ["content"],
    ]
    assert record_schema(DeadLetter)["required"] == [
        "stage",
        "reason",
        "message",
        "original",
        "failed_at",
    ]


def test_closed_sets_become_enums() -> None:
    kind = record_schema(Article)["properties"]["kind"]
    assert kind == {
        "anyOf": [
            {"type": "string", "enum": ["new", "duplicate", "same_story"]},
            {"type": "null"},
        ],
        "default": None,
    }


def _valid(model: type, record: object) -> bool:
    return Draft202012Validator(record_schema(model)).is_valid(json.loads(record.dumps()))  # type: ignore[attr-defined]


def test_serialised_records_validate_against_their_schema() -> None:
    clean = CleanArticle(id="a1", title="T", body="B", word_count=1, normalized_at=1.0)
    article = Article(
        **clean.asdict(),
        entities=[Entity(text="Armenia", label="GPE", count=2, first_offset=5, in_title=True)],
    )
    assert _valid(RawArticle, RawArticle(body="text"))
    assert _valid(CleanArticle, clean)
    assert _valid(Article, article)


def test_schema_rejects_wrong_types() -> None:
    validator = Draft202012Validator(record_schema(RawArticle))
    assert not validator.is_valid({"body": 3})
    assert not validator.is_valid({"title": "no body"})
    assert not validator.is_valid({"body": "b", "received_at": "yesterday"})


def test_wire_format_has_no_python_class_names() -> None:
    data = json.loads(Article(id="a", title="t", body="b", word_count=1, normalized_at=0.0).dumps())
    assert "__faust" not in data
    assert data["entities"] == []
    assert data["schema_version"] == 1
