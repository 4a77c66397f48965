"""news.clean and news.articles: the cleaned article, and the output record stored and served."""

from typing import Literal

import faust

from schemas.codec import RECORD_OPTIONS

__all__ = ["Article", "CleanArticle", "EnrichedArticle", "Entity", "StoryKind", "TaggedArticle"]

StoryKind = Literal["new", "duplicate", "same_story"]


class CleanArticle(faust.Record, **RECORD_OPTIONS):
    """A validated, cleaned article keyed by its stable `id`.

    `published_at` is ISO 8601 in UTC (or null when the source gave no date);
    `flags` says what cleaning did (e.g. `boilerplate_stripped`, `title_from_body`);
    `language` is the primary subtag of the one the source gave ("en-GB" → "en"), if any.
    """

    id: str
    title: str
    body: str
    word_count: int
    normalized_at: float
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None
    external_id: str | None = None
    extraction: str | None = None
    received_at: float | None = None
    flags: list[str] = []  # noqa: RUF012 - faust copies defaults per instance
    schema_version: int = 1


class Entity(faust.Record, **RECORD_OPTIONS):
    """A named entity in canonical form, with its count and first character offset."""

    text: str
    label: str
    count: int
    first_offset: int
    in_title: bool


class TaggedArticle(CleanArticle, **RECORD_OPTIONS):
    """A clean article with its named entities in canonical form (what every later
    record has in common).

    `ner_truncated` says the body was cut to the NER length limit before tagging
    (entities past the cut are missing); `ner_skipped` says why NER did not read it at all
    (`language`: no spaCy pipeline for its language, `NEWSWIRE_SPACY_MODELS`);
    `enriched_at` is when enrich finished it. `language` is, from here on, the one the
    record gave or else the one enrich detected (null: unknown).
    """

    entities: list[Entity] = []  # noqa: RUF012
    ner_truncated: bool = False
    ner_skipped: Literal["language"] | None = None
    enriched_at: float | None = None


class EnrichedArticle(TaggedArticle, **RECORD_OPTIONS):
    """news.enriched: a tagged article, and the story sketch enrich computed for dedupe.

    `story_sketch` is `<algo_version>:<base64 of the packed sketch>`
    (`pipeline.dedupe.encode_sketch`): computed where the article is (news.clean is
    partitioned, news.enriched is not), so the serial dedupe stage only decides. Null when
    NER or dedupe is off; dedupe then sketches the article itself.
    """

    story_sketch: str | None = None


class Article(TaggedArticle, **RECORD_OPTIONS):
    """The output record on news.articles and in the store.

    The story fields are dedupe's decision: `kind` (new | duplicate | same_story),
    `story_id` (a new story's id is its first article's id), `duplicate_of` (the copied
    article) or `related_to` (the copied article, or for a rewrite the story's latest
    article before it),
    `similarity` (every score computed, e.g. `jaccard`, `cosine`), `method` and
    `algo_version` (which decision rule, so a replay with new thresholds can be told apart).
    They are null on records written before dedupe decided.
    """

    kind: StoryKind | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    related_to: str | None = None
    similarity: dict[str, float] | None = None
    method: str | None = None
    algo_version: str | None = None
