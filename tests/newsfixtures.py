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
