"""The API's filters and stream cursors, and the SQL they become: plain values, no I/O.

Filters (`?entity=&story=&source=&since=&limit=`) select articles of the table store:

- `entity`: an entity of the article, by its canonical text, case-insensitively, through the
  store's entity index (`article_entities`), so the same SQL runs on SQLite and PostgreSQL.
- `story`: the article's `story_id`; `source`: its `source`, both exact.
- `since`: stored (processed) at or after this moment: Unix seconds or ISO 8601 (no zone: UTC).
- `limit`: most articles returned (default 50, at most 500).

A stream cursor is `STORED_AT-_rowid`: the store's `stored_at` (Unix seconds, as the shortest
float that round-trips) and the row's `rowid` (SQLite's own; an identity column on
PostgreSQL), which breaks ties inside a batch. Rows are read in cursor order, so "after
cursor C" is exactly what a client has not seen yet. An upsert keeps a row's rowid and moves
its `stored_at`, so a re-stored article is sent again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    ColumnElement,
    Integer,
    Label,
    Select,
    and_,
    exists,
    literal_column,
    or_,
    select,
)

from pipeline.store.schema import article_entities, articles

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "START",
    "ArticleFilters",
    "BadQuery",
    "Cursor",
    "after_query",
    "article_query",
    "latest_cursor_query",
    "list_query",
    "parse_count",
    "parse_time",
    "story_query",
]

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500

_rowid: Label[int] = literal_column("articles.rowid", Integer).label("rowid")
_row = (articles.c.record, articles.c.stored_at, _rowid)


class BadQuery(ValueError):
    """A query parameter the API cannot read; the message says which and why (HTTP 400)."""


def parse_time(value: str) -> float:
    """Unix seconds from `1700000000.5` or ISO 8601 (`2023-11-16`, `…T10:00:00+02:00`)."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadQuery(
                f"since={value!r}: expected Unix seconds or an ISO 8601 date/time"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    if not math.isfinite(seconds):
        raise BadQuery(f"since={value!r}: not a finite number of seconds")
    return seconds


def parse_count(name: str, value: str | None, default: int, low: int, high: int) -> int:
    """Query parameter `name` as a whole number in [low, high]; `default` when absent."""
    if value is None or value == "":
        return default
    try:
        count = int(value)
    except ValueError:
        raise BadQuery(f"{name}={value!r}: expected a whole number") from None
    if not low <= count <= high:
        raise BadQuery(f"{name}={count}: expected {low} to {high}")
    return count


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    """Which articles a list or stream returns (None: no condition)."""

    entity: str | None = None
    story: str | None = None
    source: str | None = None
    since: float | None = None
    limit: int = DEFAULT_LIMIT

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], default_limit: int = DEFAULT_LIMIT
    ) -> ArticleFilters:
        """Filters from URL query parameters; empty values mean "no condition"."""

        def text(name: str) -> str | None:
            value = query.get(name, "").strip()
            return value or None

        since = text("since")
        return cls(
            entity=text("entity"),
            story=text("story"),
            source=text("source"),
            since=None if since is None else parse_time(since),
            limit=parse_count("limit", query.get("limit"), default_limit, 1, MAX_LIMIT),
        )

    def asdict(self) -> dict[str, str | float | int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A position in the store's processing order: after (stored_at, rowid)."""

    stored_at: float
    rowid: int

    def __str__(self) -> str:
        return f"{self.stored_at!r}-{self.rowid}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        stored_at, sep, rowid = text.strip().rpartition("-")
        try:
            if not sep:
                raise ValueError
            cursor = cls(float(stored_at), int(rowid))
        except ValueError:
            raise BadQuery(f"event id {text!r}: expected STORED_AT-_rowid") from None
        if not math.isfinite(cursor.stored_at):
            raise BadQuery(f"event id {text!r}: not a finite time")
        return cursor


START: Final = Cursor(-math.inf, -1)  # before every row


def _conditions(filters: ArticleFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.entity is not None:
        conditions.append(
            exists(
                select(literal_column("1"))
                .select_from(article_entities)
                .where(article_entities.c.article_id == articles.c.id)
                .where(article_entities.c.entity == filters.entity.lower())
            )
        )
    if filters.story is not None:
        conditions.append(articles.c.story_id == filters.story)
    if filters.source is not None:
        conditions.append(articles.c.source == filters.source)
    if filters.since is not None:
        conditions.append(articles.c.stored_at >= filters.since)
    return conditions


def list_query(filters: ArticleFilters) -> Select[str, float, int]:
    """Matching articles, most recently stored first."""
    return (
        select(*_row)
        .where(*_conditions(filters))
        .order_by(articles.c.stored_at.desc(), _rowid.desc())
        .limit(filters.limit)
    )


def after_query(cursor: Cursor, filters: ArticleFilters, limit: int) -> Select[str, float, int]:
    """Matching articles stored after `cursor`, in processing order (`since` is ignored)."""
    if cursor.stored_at == -math.inf:
        position: list[ColumnElement[bool]] = []
    else:
        position = [
            or_(
                articles.c.stored_at > cursor.stored_at,
                and_(articles.c.stored_at == cursor.stored_at, _rowid > cursor.rowid),
            )
        ]
    unfiltered_since = ArticleFilters(filters.entity, filters.story, filters.source, None)
    return (
        select(*_row)
        .where(*position, *_conditions(unfiltered_since))
        .order_by(articles.c.stored_at, _rowid)
        .limit(limit)
    )


def latest_cursor_query() -> Select[float, int]:
    """The cursor of the most recently stored row (no row: no result)."""
    return (
        select(articles.c.stored_at, _rowid)
        .order_by(articles.c.stored_at.desc(), _rowid.desc())
        .limit(1)
    )


def article_query(article_id: str) -> Select[str, float, int]:
    """The article with this id."""
    return select(*_row).where(articles.c.id == article_id)


def story_query(story_id: str, limit: int = MAX_LIMIT) -> Select[str, float, int]:
    """The articles of one story, oldest first by publication, then by processing."""
    return (
        select(*_row)
        .where(articles.c.story_id == story_id)
        .order_by(articles.c.published_at, articles.c.stored_at, _rowid)
        .limit(limit)
    )
