"""Article HTML to title, date and main text with trafilatura: pure, CPU-bound.

trafilatura works offline (its date parsing is htmldate's, no downloads). Callers run
`extract_article` in a worker process or thread so the event loop stays free; it is a
top-level function of plain values, so it pickles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import trafilatura
import trafilatura.settings

__all__ = ["Extraction", "extract_article", "strip_site_name", "summary_text"]

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ")

# trafilatura logs every page it finds too short at WARNING: that is an outcome, not news.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Extraction:
    """What the page says: its main text, and title and date if found."""

    text: str
    title: str | None
    date: str | None


def extract_article(html: bytes, url: str | None = None) -> Extraction | None:
    """The main text of an article page, or None when trafilatura finds no text."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    if not isinstance(doc, trafilatura.settings.Document):
        return None  # None (nothing found); a dict only with as_dict=True
    if not doc.text or not doc.text.strip():
        return None
    title = strip_site_name(doc.title, doc.sitename) if doc.title else None
    return Extraction(text=doc.text.strip(), title=title or None, date=doc.date or None)


def strip_site_name(title: str, site: str | None) -> str:
    """`Headline | Site` → `Headline` when the last part names the site (`<title>` habit)."""
    if not site:
        return title
    folded_site = site.casefold()
    for separator in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head.strip():
            tail_folded = tail.strip().casefold()
            if tail_folded and (tail_folded in folded_site or folded_site in tail_folded):
                return head.strip()
    return title


def summary_text(html_or_text: str) -> str:
    """A feed summary (often HTML) as plain text, paragraphs on their own lines."""
    if "<" not in html_or_text:
        return html_or_text.strip()
    # html2txt reads whole documents: a bare fragment comes back empty.
    text = trafilatura.html2txt(f"<html><body>{html_or_text}</body></html>")
    return text.strip() if text else ""
