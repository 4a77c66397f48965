"""Lists of feeds to subscribe: OPML files (`feeds import`) and the feeds file.

The feeds file (`NEWSWIRE_FEEDS_FILE`) is OPML when it ends in `.opml` or `.xml`, else
plain text: one feed a line, `URL [INTERVAL] [NAME…]`, `#` starts a comment. OPML is
read with defusedxml, so an entity bomb in a file is refused, not expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET

from pipeline.feeds.schedule import parse_interval

__all__ = ["FeedEntry", "FeedListError", "default_name", "read_feed_list", "read_opml"]


class FeedListError(Exception):
    """A feed list that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class FeedEntry:
    """One feed to subscribe; `interval_seconds` None means the default."""

    url: str
    name: str
    interval_seconds: float | None = None


def default_name(url: str) -> str:
    """A feed's name when none is given: host and path, e.g. `example.com/rss`."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") or url


def _checked_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise FeedListError(f"{where}: not an http(s) URL: {url!r}")
    return url


def read_opml(path: Path) -> list[FeedEntry]:
    """Every `<outline xmlUrl=…>` of an OPML file, nested outlines included."""
    try:
        root = SafeET.parse(path).getroot()
    except Exception as exc:  # defusedxml's refusals and XML syntax errors alike
        raise FeedListError(f"{path}: not readable OPML: {exc}") from None
    entries = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        name = outline.get("title") or outline.get("text") or default_name(url)
        entries.append(FeedEntry(_checked_url(url.strip(), str(path)), name.strip()))
    return entries


def read_feed_list(path: Path) -> list[FeedEntry]:
    """The feeds file: OPML, or `URL [INTERVAL] [NAME…]` lines."""
    if path.suffix.lower() in {".opml", ".xml"}:
        return read_opml(path)
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{path}:{number}"
        url = _checked_url(words[0], where)
        interval = None
        rest = words[1:]
        if rest:
            try:
                interval = parse_interval(rest[0])
                rest = rest[1:]
            except ValueError:
                interval = None  # no interval: the rest is the name
        name = " ".join(rest) or default_name(url)
        entries.append(FeedEntry(url, name, interval))
    return entries
