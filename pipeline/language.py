"""An article's language: the one its record gives, else detected by py3langid.

py3langid (a maintained fork of langid.py, Lui & Baldwin 2012: a naive Bayes classifier over
byte n-grams, 97 languages, its model shipped inside the package) reads the first
`SAMPLE_CHARS` characters; its answer counts only with a normalised probability of at least
`MIN_CONFIDENCE`, otherwise the language is unknown (None): short, mixed or symbol-only texts
come out None rather than wrong. Detection costs about a millisecond per article and its
model takes 1.7 s to load, so it runs where NER runs, in enrich's processes, never on the
event loop (`detect_language` loads the model on first use; `warm_up` loads it at start).

A language a record carries (`language`/`lang`, e.g. "fr", "en-GB", "pt_BR") wins over
detection: the sender knows. `language_tag` reduces it to its primary subtag, lower-cased.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = ["MIN_CONFIDENCE", "SAMPLE_CHARS", "detect_language", "language_tag", "warm_up"]

SAMPLE_CHARS = 1_000
"""How much of the text is read: a news lead is plenty, and cost grows with length."""

MIN_CONFIDENCE = 0.5
"""Lowest normalised probability of an answer that counts (long news texts score > 0.99)."""

_TAG = re.compile(r"[A-Za-z]{2,3}")


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up() -> None:
    """Load the detector's model now (about 1.7 s) rather than on the first article."""
    _identifier()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when unsure."""
    sample = text[:SAMPLE_CHARS]
    if not any(char.isalpha() for char in sample):
        return None
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_CONFIDENCE else None


def language_tag(tag: str | None) -> str | None:
    """The primary subtag of a language tag, lower-cased ("en-GB" → "en"); None if none."""
    if not tag:
        return None
    match = _TAG.match(tag.strip())
    return match.group().lower() if match else None
