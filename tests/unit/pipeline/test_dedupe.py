"""pipeline/dedupe.py: the durable index entries, rebuilding the index, the output record."""

from __future__ import annotations

import random

import pytest

from pipeline.dedupe import (
    IndexEntry,
    article_sketch,
    carried_sketch,
    decided_article,
    dedupe_settings,
    restore_index,
)
from pipeline.errors import UnparseableDate
from pipeline.settings import Settings
from pipeline.stories import ALGO_VERSION, DedupeSettings, StoryIndex, pack_sketch, sketch
from schemas.article import EnrichedArticle, Entity

SETTINGS = DedupeSettings(horizon_days=10_000)
_VOCABULARY = """minister parliament election vote budget river flood storm bridge company
shares market police court judge football final league hospital vaccine school teachers strike
airport flights bank rates inflation festival film award museum painting"""
WORDS = _VOCABULARY.split()


def article(n: int, body: str | None = None, day: int = 1) -> EnrichedArticle:
    rng = random.Random(n)
    text = body or " ".join(rng.choice(WORDS) for _ in range(120))
    return EnrichedArticle(
        id=f"a{n}",
        title=f"Report {n}",
        body=text,
        word_count=len(text.split()),
        normalized_at=0.0,
        published_at=f"2024-01-{day:02d}T00:00:00+00:00",
        entities=[Entity(text="Oslo", label="GPE", count=2, first_offset=0, in_title=False)],
    )


def observe_all(index: StoryIndex, articles: list[EnrichedArticle]) -> list[bytes]:
    """Observe each article as the agent does; returns the durable entries it would write."""
    entries = []
    for seq, a in enumerate(articles):
        s = sketch(a, index.settings)
        entries.append(IndexEntry(seq, s, index.observe(s)).to_bytes())
    return entries


def test_an_entry_round_trips() -> None:
    s = sketch(article(1), SETTINGS)
    decision = StoryIndex(SETTINGS).observe(s)
    entry = IndexEntry(7, s, decision)
    again = IndexEntry.from_bytes(entry.to_bytes())
    assert (again.seq, again.sketch.id, again.decision) == (7, "a1", decision)


def test_a_rebuilt_index_decides_as_the_one_that_never_stopped() -> None:
    stream = [article(n, day=1 + n % 20) for n in range(30)]
    copy_of_3 = article(99, body=stream[3].body + " Reported by the wire.")
    live = StoryIndex(SETTINGS)
    entries = observe_all(live, stream)
    rebuilt = StoryIndex(SETTINGS)
    random.Random(0).shuffle(entries)  # the table gives them back in any order
    assert restore_index(rebuilt, entries) == len(stream)
    assert len(rebuilt) == len(live) == len(stream)
    later = sketch(copy_of_3, SETTINGS)
    decision = rebuilt.observe(later)
    assert decision == live.observe(later)
    assert (decision.kind, decision.duplicate_of) == ("duplicate", "a3")


def test_restoring_nothing_leaves_an_empty_index() -> None:
    index = StoryIndex(SETTINGS)
    observe_all(index, [article(1)])
    assert restore_index(index, []) == 0
    assert len(index) == 0


def test_the_output_record_carries_the_decision() -> None:
    a = article(5)
    decision = StoryIndex(SETTINGS).observe(sketch(a, SETTINGS))
    a.story_sketch = pack_sketch(sketch(a, SETTINGS))
    out = decided_article(a, decision)
    assert out.id == "a5" and out.entities == a.entities
    assert "story_sketch" not in out.asdict()  # news.enriched's cache stays out of the output
    assert (out.kind, out.story_id, out.duplicate_of) == ("new", "a5", None)
    assert out.algo_version == decision.algo_version and out.method == decision.method
    assert out.similarity == dict(decision.similarity)


@pytest.mark.parametrize(
    ("field", "value"),
    [("dedupe_horizon", 30.0), ("dedupe_duplicate_jaccard", 0.5), ("dedupe_story_threshold", 0.2)],
)
def test_thresholds_come_from_the_settings(field: str, value: float) -> None:
    chosen = dedupe_settings(Settings(**{field: value}))
    names = {
        "dedupe_horizon": "horizon_days",
        "dedupe_duplicate_jaccard": "duplicate_jaccard",
        "dedupe_story_threshold": "story_threshold",
    }
    assert getattr(chosen, names[field]) == value


def test_an_article_with_a_date_that_is_not_iso_is_refused_with_the_reason() -> None:
    bad = article(1).derive(published_at="16 Nov 2023")
    with pytest.raises(UnparseableDate, match="16 Nov 2023"):
        article_sketch(bad, SETTINGS)


def test_the_sketch_enrich_carried_is_used_as_it_is() -> None:
    a = article(1)
    # A sketch of other words under this article's id: used, so not recomputed.
    a.story_sketch = pack_sketch(sketch(article(2).derive(id="a1"), SETTINGS))
    assert carried_sketch(a, SETTINGS) == sketch(article(2).derive(id="a1"), SETTINGS)
    assert carried_sketch(a, SETTINGS) != sketch(a, SETTINGS)


@pytest.mark.parametrize(
    "carried",
    [
        pytest.param(None, id="none (NER or dedupe off in enrich)"),
        pytest.param("stories-0:AAAA", id="another algorithm version"),
        pytest.param(f"{ALGO_VERSION}:not base64!", id="damaged"),
        pytest.param(f"{ALGO_VERSION}:AQID", id="truncated"),
        pytest.param("other-article", id="another article's sketch"),
    ],
)
def test_without_a_usable_carried_sketch_the_article_is_sketched_here(carried: str | None) -> None:
    a = article(1)
    a.story_sketch = (
        pack_sketch(sketch(article(2), SETTINGS)) if carried == "other-article" else carried
    )
    assert carried_sketch(a, SETTINGS) == sketch(a, SETTINGS)
