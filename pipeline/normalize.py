"""The normalize stage as one pure function: raw bytes in, a `CleanArticle` out, or a rejection.

Order matters and is part of the contract: size limit on the raw bytes, JSON, the
RawArticle schema, then text cleaning (NFC, whitespace, boilerplate tail, headline vs.
lead), the date, the length check on the cleaned body, and last the stable id, which
depends on the cleaned text when there is no URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import fastjsonschema
import orjson

from pipeline.dates import iso_utc, parse_published
from pipeline.errors import BodyTooShort, MissingBody, NotJson, SchemaViolation, TooLarge
from pipeline.language import language_tag
from pipeline.settings import CleaningSettings
from pipeline.text import (
    clean_text,
    clean_title,
    strip_boilerplate_tail,
    title_and_lead,
    word_count,
)
from pipeline.urls import article_id_for_text, article_id_for_url, canonical_url
from schemas.article import CleanArticle
from schemas.jsonschema import record_schema
from schemas.raw import MISSING_BODY, RawArticle, pick_fields

__all__ = ["clean_article", "normalize_record", "parse_raw"]

# Compiled once to Python code: about 15x faster per record than an interpreting validator.
_validate_raw = fastjsonschema.compile(record_schema(RawArticle))


def parse_raw(data: bytes, limits: CleaningSettings) -> RawArticle:
    """Decode one news.raw record, enforcing the size limit and the RawArticle schema.

    Fields may come under any name of `schemas.raw.FIELD_NAMES` (`text` for `body`, …),
    as `newswire publish` and `POST /api/articles` take them.
    """
    if len(data) > limits.max_raw_bytes:
        raise TooLarge(f"record is {len(data):,} bytes; the limit is {limits.max_raw_bytes:,}")
    try:
        obj: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise NotJson(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise NotJson(f"expected a JSON object, got {type(obj).__name__}")
    picked = pick_fields(obj)
    if "body" not in picked:
        raise MissingBody(MISSING_BODY)
    name, body = picked["body"]
    if not isinstance(body, str):  # said here: the schema would only say "no body matches"
        raise SchemaViolation(f"{name}: must be string")
    try:
        _validate_raw(obj)
    except fastjsonschema.JsonSchemaValueException as error:
        where = ".".join(str(p) for p in error.path[1:]) or "record"
        detail = error.message.removeprefix(f"{error.name} ")
        raise SchemaViolation(f"{where}: {detail}") from None
    return RawArticle(**{field: value for field, (_, value) in picked.items()})


def clean_article(raw: RawArticle, limits: CleaningSettings, now: datetime) -> CleanArticle:
    """Clean and validate one raw article; raises a `RejectedArticle` for what it refuses."""
    flags: list[str] = []
    body, stripped = strip_boilerplate_tail(clean_text(raw.body))
    if stripped:
        flags.append("boilerplate_stripped")
    title, body, moved = title_and_lead(clean_title(raw.title or ""), body, limits.max_title_chars)
    if moved:
        flags.append("title_from_body")
    if len(body) < limits.min_body_chars:
        raise BodyTooShort(
            f"body has {len(body)} characters after cleaning; "
            f"the minimum is {limits.min_body_chars}"
        )
    published_at = None
    if raw.published is not None and raw.published.strip():
        max_future = timedelta(days=limits.max_future_days)
        published_at = iso_utc(parse_published(raw.published, now=now, max_future=max_future))
    url = canonical_url(raw.url) if raw.url else None
    article_id = article_id_for_url(url) if url else article_id_for_text(title, body)
    return CleanArticle(
        id=article_id,
        title=title,
        body=body,
        word_count=word_count(body),
        normalized_at=now.timestamp(),
        url=url,
        source=raw.source,
        published_at=published_at,
        language=language_tag(raw.language),  # else detected in enrich, beside NER
        external_id=raw.external_id,
        extraction=raw.extraction,
        received_at=raw.received_at,
        flags=flags,
    )


def normalize_record(data: bytes, limits: CleaningSettings, now: datetime) -> CleanArticle:
    """The whole stage: `parse_raw` then `clean_article`."""
    return clean_article(parse_raw(data, limits), limits, now)
