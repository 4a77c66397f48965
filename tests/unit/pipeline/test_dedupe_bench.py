"""pipeline/bench/dedupe.py: pair scores, ARI, derived copies and duplicate groups by hand."""

from __future__ import annotations

import random

import pytest

from pipeline.bench.dedupe import (
    BenchArticle,
    DedupeReport,
    PairScores,
    StoryScores,
    adjusted_rand_index,
    baseline_stories,
    derive_copy,
    pair_scores,
)
from pipeline.stories import DedupeSettings

# 6 items. Gold {1,2,3} {4,5} {6}; predicted {1,2} {3,4,5} {6}.
GOLD = ["a", "a", "a", "b", "b", "c"]
PRED = ["x", "x", "y", "y", "y", "z"]


def test_pair_scores_by_hand() -> None:
    # Pairs together in both: (1,2) and (4,5). Gold pairs: 3 + 1 = 4. Predicted: 1 + 3 = 4.
    scores = pair_scores(GOLD, PRED)
    assert (scores.precision, scores.recall, scores.f1) == (0.5, 0.5, 0.5)


def test_pair_scores_of_all_singletons_are_perfect_precision_and_no_recall() -> None:
    scores = pair_scores(["a", "a"], ["x", "y"])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_ari_by_hand() -> None:
    # Σ C(n_ij, 2) = 2; Σ C(a_i, 2) = 4; Σ C(b_j, 2) = 4; C(6, 2) = 15.
    # E = 4·4/15 = 16/15; ARI = (2 - 16/15) / (4 - 16/15) = 14/44 = 7/22.
    assert adjusted_rand_index(GOLD, PRED) == pytest.approx(7 / 22)


def test_ari_ignores_label_names_and_is_one_for_identical_clusterings() -> None:
    assert adjusted_rand_index(GOLD, ["p", "p", "p", "q", "q", "r"]) == 1.0


def test_ari_of_one_cluster_against_singletons_is_zero() -> None:
    assert adjusted_rand_index(["a", "a", "a", "a"], ["w", "x", "y", "z"]) == 0.0


def test_derived_copies_are_seeded_and_change_at_most_a_fifth_of_words() -> None:
    text = "\n\n".join(" ".join(f"p{p}w{w}" for w in range(30)) for p in range(5))
    first = derive_copy(text, random.Random(3))
    assert first == derive_copy(text, random.Random(3))
    body, edits = first
    assert any(e.startswith("words-") for e in edits)
    original = set(text.split())
    kept = [w for w in body.split() if w in original]
    assert len(kept) >= 0.8 * (len(original) - 30)  # the last paragraph may be cut


def test_baseline_joins_the_best_earlier_article_above_the_threshold() -> None:
    def art(i: str, body: str) -> BenchArticle:
        return BenchArticle(i, "", body, None, [], story=i, group=i)

    articles = [
        art("1", "earthquake strikes northern chile magnitude aftershocks"),
        art("2", "parliament passes budget after long debate"),
        art("3", "strong earthquake magnitude northern chile aftershocks felt"),
    ]
    assert baseline_stories(articles) == ["1", "2", "1"]


def test_the_report_gives_the_first_shuffle_in_full_and_the_mean_f1_over_all() -> None:
    def scores(name: str, ours: float, base: float) -> StoryScores:
        return StoryScores(name, 10, PairScores(1.0, 1.0, ours), ours, PairScores(1, 1, base), base)

    report = DedupeReport(DedupeSettings())
    report.shuffles = [
        [scores("ECB+ all topics", 0.8, 0.7), scores("half A (odd-ranked topics)", 0.9, 0.6)],
        [scores("ECB+ all topics", 0.62, 0.5), scores("half A (odd-ranked topics)", 0.72, 0.8)],
    ]
    lines = report.lines()
    assert any("ECB+ all topics (10 articles)" in line and "F1 0.800" in line for line in lines)
    assert not any("F1 0.620" in line for line in lines)  # the second shuffle only in the mean
    assert (
        "  same story, mean over 2 shuffles: ECB+ all topics F1 0.710 (baseline 0.600); "
        "half A F1 0.810 (baseline 0.700)"
    ) in lines
    assert not any("indexed" in line for line in lines)  # no scale stream: no timing lines
    report.indexed, report.timing_ms = 100_000, {"observe (CPU)": (0.5, 1.5)}
    assert any("100,000 indexed" in line and "p99 1.50 ms" in line for line in report.lines())
