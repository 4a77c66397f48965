"""Ranking named entities by how many articles name them: trending, stories, suggestions.

Only `pipeline.entities.NAMED_LABELS` count: dates stay in the records but are not shown
as things to follow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.entities import NAMED_LABELS

__all__ = ["rank_named"]


def rank_named(
    articles: Iterable[Iterable[Mapping[str, Any]]], limit: int, prefix: str = ""
) -> list[dict[str, Any]]:
    """The `limit` named entities found in most of `articles` (each one's entity list).

    Each comes as `{"text", "label", "articles"}`; ties keep first-seen order. `prefix`
    keeps only entities whose text starts with it (case-insensitive) or has a word that does.
    """
    wanted = prefix.casefold().strip()
    counts: Counter[tuple[str, str]] = Counter()
    for entities in articles:
        seen = {
            (e["text"], e["label"])
            for e in entities
            if e["label"] in NAMED_LABELS and _matches(e["text"], wanted)
        }
        counts.update(seen)
    return [
        {"text": text, "label": label, "articles": n}
        for (text, label), n in counts.most_common(limit)
    ]


def _matches(text: str, prefix: str) -> bool:
    if not prefix:
        return True
    folded = text.casefold()
    return folded.startswith(prefix) or any(w.startswith(prefix) for w in folded.split())
