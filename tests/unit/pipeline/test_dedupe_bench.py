"""pipeline/bench/dedupe.py: pair scores, ARI, derived copies and duplicate groups by hand."""

from __future__ import annotations

import random

import pytest

from pipeline.bench.dedupe import (
    BenchArticle,
    DedupeReport,
    FoldScores,
    PairScores,
    adjusted_rand_index,
    baseline_stories,
    cross_validate,
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


def test_the_report_gives_each_fold_against_the_baseline_and_the_mean_and_spread() -> None:
    def fold(k: int, ours: list[float], base: list[float]) -> FoldScores:
        return FoldScores(
            k,
            6,
            140,
            0.14,
            [PairScores(0.8, 0.9, f) for f in ours],
            0.2,
            [PairScores(0.7, 0.9, f) for f in base],
        )

    report = DedupeReport(DedupeSettings(), orders=2)
    report.folds = [fold(0, [0.9, 0.8], [0.7, 0.7]), fold(1, [0.6, 0.6], [0.7, 0.5])]
    lines = report.lines()
    assert any(
        "fold 0 (6 topics, 140 articles): θ 0.14" in line
        and "F1 0.850 ± 0.050" in line
        and "baseline θ 0.20 F1 0.700 ± 0.000 | +0.150, ahead in 2 of 2 orders" in line
        for line in lines
    )
    assert any(
        "fold 1" in line and "F1 0.600 ± 0.000" in line and "+0.000, ahead in 1 of 2 orders" in line
        for line in lines
    )
    summary = next(line for line in lines if "mean over folds" in line)
    assert "F1 0.725 (sd 0.125, min 0.600)" in summary
    assert "baseline 0.650 (sd 0.050, min 0.600)" in summary
    assert "ahead of the baseline in 1 of 2 folds" in summary  # a tie is not ahead
    assert not any("indexed" in line for line in lines)  # no scale stream: no timing lines
    report.indexed, report.timing_ms = 100_000, {"observe (CPU)": (0.5, 1.5)}
    assert any("100,000 indexed" in line and "p99 1.50 ms" in line for line in report.lines())
    report.real_bytes_per_article, report.real_stories = {"total": 4389.0}, 306
    assert any(
        "real articles alone (306 stories" in line and "total 4389" in line
        for line in report.lines()
    )


def test_further_seed_sets_pool_each_folds_paired_difference() -> None:
    def fold(k: int, ours: list[float], base: list[float]) -> FoldScores:
        ours_scores = [PairScores(0.8, 0.9, f) for f in ours]
        return FoldScores(
            k, 6, 140, 0.14, ours_scores, 0.2, [PairScores(0.7, 0.9, f) for f in base]
        )

    report = DedupeReport(DedupeSettings(), orders=2)
    report.folds = [fold(0, [0.9, 0.8], [0.7, 0.7]), fold(1, [0.6, 0.7], [0.5, 0.6])]
    assert not any("seed sets" in line for line in report.lines())  # one set: nothing pooled
    report.more_folds = [[fold(0, [0.8, 0.8], [0.7, 0.7]), fold(1, [0.4, 0.5], [0.6, 0.6])]]
    lines = report.lines()
    assert any(
        "over 2 seed sets" in line and "4 held-out orders per fold" in line for line in lines
    )
    # fold 0: differences 0.2, 0.1, 0.1, 0.1; fold 1: 0.1, 0.1, -0.2, -0.1
    assert any(
        "fold 0: F1 0.825 | baseline 0.700 | +0.125 ± 0.025, ahead in 2 of 2 seed sets" in line
        for line in lines
    )
    assert any("fold 1:" in line and "-0.025 ± 0.075, ahead in 1 of 2" in line for line in lines)
    summary = next(line for line in lines if "pooled" in line)
    assert "ahead on the pooled mean in 1 of 2 folds" in summary
    assert "ahead in every fold in 1 of 2 seed sets" in summary


def test_cross_validation_chooses_thresholds_on_the_other_folds_only() -> None:
    # Two topics of two events each; with 2 folds each fold is scored on a topic that the
    # thresholds never saw, and every article of that topic is scored once per order.
    def art(i: str, topic: int, event: int, body: str) -> BenchArticle:
        story = f"ecbplus-t{topic}-{event}"
        return BenchArticle(i, "", body, None, [], story=story, group=i, real_story=True)

    articles = [
        art("a1", 1, 1, "volcano erupts on iceland ash cloud grounds flights across europe"),
        art("a2", 1, 1, "ash cloud from iceland volcano grounds flights in europe"),
        art("a3", 1, 2, "parliament in reykjavik passes fishing quota law after debate"),
        art("b1", 2, 1, "chess champion wins world title in tiebreak games in london"),
        art("b2", 2, 1, "london tiebreak games decide chess world title for champion"),
        art("b3", 2, 2, "marathon runner sets course record in berlin race"),
    ]
    folds = cross_validate(articles, DedupeSettings(), folds=2, orders=3, thresholds=(0.1, 0.5))
    assert [(f.fold, f.topics, f.articles) for f in folds] == [(0, 1, 3), (1, 1, 3)]
    for f in folds:
        assert len(f.ours) == len(f.baseline) == 3
        assert f.threshold in (0.1, 0.5) and f.baseline_threshold in (0.1, 0.5)
        assert f.baseline_f1 == 1.0  # two rewrites and an unrelated article
