"""The enrich stage's pure part: NER requests from clean articles, enriched ones from results."""

from __future__ import annotations

from pipeline.entities import CanonicalEntity
from pipeline.errors import NerFailed
from pipeline.ner import NerRequest, NerResult
from schemas.article import CleanArticle, EnrichedArticle, Entity

__all__ = ["enriched_article", "ner_request", "without_entities"]


def ner_request(article: CleanArticle) -> NerRequest:
    """What NER needs of an article (picklable, sent to a worker process)."""
    return NerRequest(article_id=article.id, title=article.title, body=article.body)


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
        **article.asdict(),
        entities=[_entity(e) for e in result.entities],
        ner_truncated=result.truncated,
        enriched_at=now,
    )


def without_entities(article: CleanArticle) -> EnrichedArticle:
    """`article` passed on by enrich with NER turned off (`NEWSWIRE_NER_ENABLED=false`)."""
    return EnrichedArticle(**article.asdict())
