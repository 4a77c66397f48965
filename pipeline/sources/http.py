"""The body of `POST /api/articles`, checked: pure, no web server in it.

A body is one JSON object, a JSON array of objects, or JSONL (one object a line). Each
record is checked exactly as normalize will check it (size, JSON, the `RawArticle` JSON
Schema, then cleaning: body length, date, URL), so what the endpoint accepts normalize
accepts too, and the caller hears about the rest instead of a dead letter. The id given
back for an accepted record is the id normalize assigns: the article's key in
news.articles and the store (a hash of the canonical URL, else of the cleaned text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson

from pipeline.errors import NotJson, RejectedArticle
from pipeline.normalize import clean_article, parse_raw
from pipeline.settings import CleaningSettings
from schemas.raw import RawArticle

__all__ = ["JSONL_TYPES", "JSON_TYPES", "CheckedBody", "Rejection", "check_body"]

JSON_TYPES: Final = frozenset({"application/json"})
JSONL_TYPES: Final = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


@dataclass(frozen=True)
class Rejection:
    """Why record `index` (0-based; for JSONL also its `line`) was refused."""

    index: int
    reason: str
    message: str
    line: int | None = None

    def asdict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "reason": self.reason, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass
class CheckedBody:
    """The accepted records with their ids, in body order, and the rejections."""

    accepted: list[RawArticle] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def _records(body: bytes, jsonl: bool) -> list[tuple[int | None, bytes | RejectedArticle]]:
    """(line, record bytes or the reason it is unreadable) for each record of the body."""
    if jsonl:
        out: list[tuple[int | None, bytes | RejectedArticle]] = []
        for number, line in enumerate(body.split(b"\n"), 1):
            if line.strip():
                out.append((number, line))
        return out
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [(None, NotJson(f"body is not JSON: {exc}"))]
    items = value if isinstance(value, list) else [value]
    return [(None, orjson.dumps(item)) for item in items]


def check_body(body: bytes, *, jsonl: bool, limits: CleaningSettings, now: datetime) -> CheckedBody:
    """Check every record of a request body as normalize would."""
    result = CheckedBody()
    for index, (line, record) in enumerate(_records(body, jsonl)):
        try:
            if isinstance(record, RejectedArticle):
                raise record
            raw = parse_raw(record, limits)
            clean = clean_article(raw, limits, now)
        except RejectedArticle as exc:
            result.rejected.append(Rejection(index, exc.reason, exc.message, line))
            continue
        result.accepted.append(raw)
        result.ids.append(clean.id)
    return result
