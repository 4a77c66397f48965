"""The story decision's settings and version (see `pipeline.stories.index`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALGO_VERSION", "DedupeSettings"]

ALGO_VERSION = "stories-7"
"""Bump when a formula or default threshold changes; output records carry it."""


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds and weights of the decision; the defaults were chosen on ECB+ (see bench)."""

    horizon_days: float = 90.0
    duplicate_jaccard: float = 0.30
    duplicate_min_cosine: float = 0.0
    duplicate_title_overlap: float = 0.5
    duplicate_sure_jaccard: float = 0.6
    story_threshold: float = 0.15
    story_threshold_far: float = 0.20
    story_time_scale_days: float = 4.0
    prior_documents: float = 10_000.0
    entity_weight: float = 1.0
    bigram_weight: float = 1.0
    number_weight: float = 3.0
    title_boost: float = 1.0
    story_features: int = 192
    max_features: int = 512
    posting_features: int = 12
    query_features: int = 24
    max_postings: int = 48
    bands: int = 32
    rows: int = 2
