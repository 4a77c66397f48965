"""Feed bytes to items with feedparser: pure, CPU-bound (callers run it off the event loop).

feedparser gets bytes the fetcher read, never a URL, so it fetches nothing itself. It
detects the encoding (an ISO-8859-1 feed without a declaration still parses), falls back
to its loose parser on malformed XML, and does not resolve external or nested entities
(Python's expat refuses a billion-laughs expansion; a test checks it).
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from typing import Any

import feedparser

__all__ = ["FeedItem", "FeedUnreadable", "ParsedFeed", "parse_feed"]


class FeedUnreadable(Exception):
    """Bytes that hold no feed at all; the message says what the parser saw."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed. `key` identifies it across polls: guid, else link, else content."""

    key: str
    link: str | None
    title: str | None
    summary: str | None
    published: str | None
    published_ts: float | None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's title and entries, in feed order; `warning` is a tolerated parse problem."""

    title: str | None
    items: list[FeedItem]
    warning: str | None


def _content(entry: Any) -> str | None:
    # content:encoded / Atom content is the full text when a feed carries it.
    for part in entry.get("content") or []:
        value = part.get("value")
        if value:
            return str(value)
    summary = entry.get("summary")
    return str(summary) if summary else None


def _item_key(entry: Any, link: str | None, title: str | None, summary: str | None) -> str:
    guid = entry.get("id")
    if guid:
        return f"id:{guid}"
    if link:
        return f"link:{link}"
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
    return f"sha:{digest}"


def _timestamp(parsed: Any) -> float | None:
    if not parsed:
        return None
    try:
        return float(calendar.timegm(parsed))  # feedparser's struct_time is UTC
    except (OverflowError, ValueError):
        return None


def parse_feed(data: bytes, *, url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom bytes; raises `FeedUnreadable` if they hold no feed."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    result = feedparser.parse(data, response_headers=headers, sanitize_html=False)
    warning = None
    if result.get("bozo"):
        warning = f"{type(result.bozo_exception).__name__}: {result.bozo_exception}"
    if not result.entries and not result.get("version"):
        raise FeedUnreadable(warning or "no RSS or Atom feed found")
    items = []
    for entry in result.entries:
        link = entry.get("link") or None
        title = entry.get("title") or None
        summary = _content(entry)
        # dict.get: FeedParserDict.get maps a missing `published` to `updated` with a warning.
        published = dict.get(entry, "published") or dict.get(entry, "updated") or None
        parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        items.append(
            FeedItem(
                key=_item_key(entry, link, title, summary),
                link=link,
                title=title,
                summary=summary,
                published=published,
                published_ts=_timestamp(parsed),
            )
        )
    return ParsedFeed(title=result.feed.get("title") or None, items=items, warning=warning)
