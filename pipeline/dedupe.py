"""What the dedupe agent does with the story index, as plain functions: no Kafka here.

The index itself (`pipeline.stories.StoryIndex`) lives in memory. What makes it durable is
one entry per indexed article in a changelog-backed Faust table: the article's sketch and
the decision taken for it, with a sequence number. After a restart or a rebalance the
entries are restored in sequence order, which rebuilds the index exactly as it was
(`StoryIndex.restore` re-applies each decision without deciding again). One table write
per article, instead of one per touched index key, keeps the changelog small and the agent
fast.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.errors import UnparseableDate
from pipeline.settings import Settings
from pipeline.stories import Decision, DedupeSettings, Sketch, StoryIndex, sketch, unpack_sketch
from schemas.article import Article, EnrichedArticle

__all__ = [
    "IndexEntry",
    "article_sketch",
    "carried_sketch",
    "decided_article",
    "dedupe_settings",
    "restore_index",
    "undecided_article",
]

_HEADER = struct.Struct("<QI")  # sequence number, sketch length


def dedupe_settings(settings: Settings) -> DedupeSettings:
    """The decision's thresholds from the worker's settings."""
    return DedupeSettings(
        horizon_days=settings.dedupe_horizon,
        duplicate_jaccard=settings.dedupe_duplicate_jaccard,
        story_threshold=settings.dedupe_story_threshold,
        story_threshold_far=settings.dedupe_story_threshold_far,
        story_time_scale_days=settings.dedupe_story_time_scale,
        prior_documents=settings.dedupe_prior_documents,
    )


@dataclass(frozen=True)
class IndexEntry:
    """One indexed article as the durable table keeps it."""

    seq: int
    sketch: Sketch
    decision: Decision

    def to_bytes(self) -> bytes:
        """`seq`, the sketch and the decision, packed."""
        raw = self.sketch.to_bytes()
        return _HEADER.pack(self.seq, len(raw)) + raw + self.decision.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> IndexEntry:
        """The entry packed by `to_bytes`."""
        seq, n = _HEADER.unpack_from(raw)
        start = _HEADER.size
        sketch = Sketch.from_bytes(raw[start : start + n])
        return cls(seq, sketch, Decision.from_bytes(raw[start + n :]))


def article_sketch(enriched: EnrichedArticle, settings: DedupeSettings) -> Sketch:
    """The sketch of an article; a `published_at` that is not ISO 8601 is `UnparseableDate`."""
    try:
        return sketch(enriched, settings)
    except ValueError as exc:
        raise UnparseableDate(str(exc)) from None


def carried_sketch(enriched: EnrichedArticle, settings: DedupeSettings) -> Sketch:
    """The sketch enrich carried (`pipeline.stories.pack_sketch`), if this algorithm
    version made it for this article; otherwise (NER or dedupe off in enrich's worker,
    another version, a damaged value) the article is sketched here.
    """
    carried = unpack_sketch(enriched.story_sketch) if enriched.story_sketch else None
    if carried is not None and carried.id == enriched.id:
        return carried
    return article_sketch(enriched, settings)


def restore_index(index: StoryIndex, entries: Iterable[bytes]) -> int:
    """Rebuild `index` from durable entries (any order); returns the next sequence number."""
    index.clear()
    restored = sorted((IndexEntry.from_bytes(raw) for raw in entries), key=lambda e: e.seq)
    for entry in restored:
        index.restore(entry.sketch, entry.decision)
    return restored[-1].seq + 1 if restored else 0


def decided_article(enriched: EnrichedArticle, decision: Decision) -> Article:
    """The output record: the enriched article with dedupe's decision."""
    return Article(
        **_tagged(enriched),
        kind=decision.kind,
        story_id=decision.story_id,
        duplicate_of=decision.duplicate_of,
        related_to=decision.related_to,
        similarity=dict(decision.similarity),
        method=decision.method,
        algo_version=decision.algo_version,
    )


def undecided_article(enriched: EnrichedArticle) -> Article:
    """The output record with no decision (dedupe switched off): the story fields are null."""
    return Article(**_tagged(enriched))


def _tagged(enriched: EnrichedArticle) -> dict[str, Any]:
    """The fields the output shares with news.enriched: all but the sketch."""
    fields = enriched.asdict()
    del fields["story_sketch"]
    return fields
