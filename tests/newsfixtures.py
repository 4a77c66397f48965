"""The real feeds and article pages copied into tests/data/news_fixtures (see its SOURCE.md)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "feed_bytes", "manifest", "page", "pages"]

FIXTURES = Path(__file__).parent / "data" / "news_fixtures"


def manifest() -> list[dict[str, Any]]:
    """One row per file: `file`, `kind` (feed | html), and for pages `url` and `expected`."""
    lines = (FIXTURES / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def pages() -> list[dict[str, Any]]:
    """The manifest rows of the article pages."""
    return [r for r in manifest() if r["kind"] == "html"]


def page(row: dict[str, Any]) -> bytes:
    """The HTML bytes of one page (stored gzipped)."""
    return gzip.decompress((FIXTURES / row["file"]).read_bytes())


def feed_bytes(name: str) -> bytes:
    """The bytes of one feed file, e.g. `heise.atom`."""
    return (FIXTURES / "feeds" / name).read_bytes()


HEISE_ARTICLES = "http://www.heise.de/developer/"


def local_heise_feed(base_url: str, extra_entries: int = 0) -> bytes:
    """The real heise Atom feed with its links moved to `base_url`/heise/….

    `extra_entries` appends that many new entries (new ids and links), as a feed that
    gained items since the last poll.
    """
    text = feed_bytes("heise.atom").decode("utf-8")
    text = text.replace(HEISE_ARTICLES, f"{base_url}/heise/")
    extra = "".join(
        f"""<entry><title type="text">Extra item {n}</title><id>urn:newswire:extra:{n}</id>
        <published>2016-02-02T10:00:0{n % 10}+01:00</published>
        <link rel="alternate" type="text/html" href="{base_url}/heise/extra-{9000000 + n}.html"/>
        <summary type="html">An item added after the first poll, number {n}.</summary></entry>"""
        for n in range(extra_entries)
    )
    return text.replace("</feed>", extra + "</feed>").encode("utf-8")


def page_for_path(path: str) -> dict[str, Any]:
    """The real page served for a `/heise/…-NNNNNNN.html` path: one of six, by the number."""
    digits = "".join(ch for ch in path.rsplit("-", 1)[-1] if ch.isdigit()) or "0"
    rows = pages()
    return rows[int(digits) % len(rows)]
