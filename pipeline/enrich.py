"""The enrich stage's pure part: NER requests from clean articles, enriched ones from results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pipeline.entities import CanonicalEntity
from pipeline.errors import NerFailed
from pipeline.ner import NerRequest, NerResult
from schemas.article import CleanArticle, EnrichedArticle, Entity

__all__ = ["enriched_article", "ner_chunks", "ner_request", "without_entities"]

T = TypeVar("T")


def ner_request(article: CleanArticle) -> NerRequest:
    """What NER needs of an article (picklable, sent to a worker process)."""
    return NerRequest(
        article.id,
        article.title,
        article.body,
        article.published_at,
        language=article.language,
        received_at=article.received_at,
    )


def ner_chunks(items: Sequence[T], processes: int, batch_size: int) -> list[list[T]]:
    """`items` cut, in order, into near-equal chunks of at most `batch_size`, and into at
    least `processes` chunks while there are items enough: every process gets work, and
    each one queues its next chunk behind the one it is running.
    """
    if processes < 1 or batch_size < 1:
        raise ValueError(f"processes and batch_size must be positive: {processes}, {batch_size}")
    if not items:
        return []
    count = max(min(processes, len(items)), -(-len(items) // batch_size))
    size = -(-len(items) // count)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _entity(e: CanonicalEntity) -> Entity:
    return Entity(
        text=e.text, label=e.label, count=e.count, first_offset=e.first_offset, in_title=e.in_title
    )


def enriched_article(article: CleanArticle, result: NerResult, now: float) -> EnrichedArticle:
    """`article` with its entities; raises `NerFailed` when spaCy failed on it."""
    if result.article_id != article.id:
        raise ValueError(f"NER result for {result.article_id} paired with article {article.id}")
    if result.error is not None:
        raise NerFailed(f"spaCy failed on this article: {result.error}")
    return EnrichedArticle(
        **{**article.asdict(), "language": result.language},
        entities=[_entity(e) for e in result.entities],
        ner_truncated=result.truncated,
        ner_skipped=result.skipped,
        enriched_at=now,
        story_sketch=result.story_sketch,
    )


def without_entities(article: CleanArticle) -> EnrichedArticle:
    """`article` passed on by enrich with NER turned off (`NEWSWIRE_NER_ENABLED=false`)."""
    return EnrichedArticle(**article.asdict())
