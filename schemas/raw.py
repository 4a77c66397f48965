"""news.raw: an article as a source hands it over, before any cleaning.

`FIELD_NAMES` is the one field vocabulary of every way in: `newswire publish` (JSON and
JSONL files), a record produced onto news.raw by any client, and `POST /api/articles`.
`pick_fields` applies it; normalize, the file reader and the HTTP check all call it, and
the exported JSON Schema (`raw.schema.json`) admits the same names.
"""

from collections.abc import Mapping
from typing import Any

import faust

from schemas.codec import RECORD_OPTIONS

__all__ = [
    "FIELD_NAMES",
    "MISSING_BODY",
    "NUMBER_FIELDS",
    "RawArticle",
    "pick_fields",
    "vocabulary",
]

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "published": ("published", "date", "published_at", "pubDate"),
    "source": ("source",),
    "language": ("language", "lang"),
    "external_id": ("external_id", "id"),
    "extraction": ("extraction",),
    "received_at": ("received_at",),
    "schema_version": ("schema_version",),
}
"""Each RawArticle field -> the names it is accepted under, in order of preference."""

NUMBER_FIELDS: dict[str, str] = {"published": "number", "external_id": "integer"}
"""Fields that also accept a JSON number (kept as its decimal string): epoch seconds, and
the numeric ids of many feeds and CMSs."""


_first, *_others = (f'"{name}"' for name in FIELD_NAMES["body"])
MISSING_BODY = f"no {', '.join([_first, *_others[:-1]])} or {_others[-1]} field"
"""Why a record without a body is refused, the same words at every way in."""


def vocabulary() -> str:
    """The accepted names as one line: `body ← body, text, content; title ← …`."""
    return "; ".join(
        f"{field} ← {', '.join(names)}" for field, names in FIELD_NAMES.items() if len(names) > 1
    )


def _as_string(value: Any, json_type: str) -> Any:
    """A number of `json_type` as its decimal string (1577836800.0 → "1577836800")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float):
        if json_type == "integer":
            return value
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def pick_fields(obj: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each RawArticle field found in `obj` -> (the name it was found under, its value).

    The first name with a non-null value wins (null counts as absent); a number in a
    `NUMBER_FIELDS` field becomes its decimal string. Types are not checked here: the
    JSON Schema (normalize, the HTTP endpoint) or the file reader does that.
    """
    picked: dict[str, tuple[str, Any]] = {}
    for field, names in FIELD_NAMES.items():
        for name in names:
            value = obj.get(name)
            if value is not None:
                if field in NUMBER_FIELDS:
                    value = _as_string(value, NUMBER_FIELDS[field])
                picked[field] = (name, value)
                break
    return picked


class RawArticle(faust.Record, **RECORD_OPTIONS):
    """What files, feeds and the HTTP endpoint publish. Only the body is required.

    `published` is the date as the source gave it (ISO 8601, RFC 2822 or YYYY-MM-DD, or
    epoch seconds); normalize parses it. `received_at` is when it was put on news.raw (Unix
    seconds), the start of the end-to-end latency clock. Every way in (files, news.raw,
    POST /api/articles) accepts the same other names for fields, the first non-null one
    winning:
    """

    body: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None
    language: str | None = None
    external_id: str | None = None
    extraction: str | None = None
    received_at: float | None = None
    schema_version: int = 1


RawArticle.__doc__ = f"{RawArticle.__doc__}{vocabulary()}."
