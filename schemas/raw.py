"""news.raw: an article as a source hands it over, before any cleaning."""

import faust

from schemas.codec import RECORD_OPTIONS

__all__ = ["RawArticle"]


class RawArticle(faust.Record, **RECORD_OPTIONS):
    """What files, feeds and the HTTP endpoint publish. Only `body` is required.

    `published` is the date as the source gave it (ISO 8601, RFC 2822 or YYYY-MM-DD);
    normalize parses it. `received_at` is when it was put on news.raw (Unix seconds),
    the start of the end-to-end latency clock.
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
