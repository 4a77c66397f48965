"""NER on a batch of articles in this process: `tag_batch`, `finish_batch`, `process_batch`.

These are the top-level (picklable) batch functions that `NerPool` (`pipeline.ner_pool`)
runs in its processes. Each process keeps its settings and loaded pipelines here, set by
`init_worker` in a NER process (which loads and warms up its models) or `init_finisher`
in a finishing process.

NER reads ``ner_text(title, body)`` (`pipeline.entities`), the body first cut to `max_chars`
at a whitespace boundary (`truncate_for_ner`, flagged `truncated`), so offsets still count in
the full title + "\\n\\n" + body. Each line break starts a sentence, and spaCy's NER never
lets an entity cross a sentence start: none spans the title and body, or two paragraphs.

NER's mentions are then *finished*: place corrections, canonical form (`pipeline.entities`)
and, given `DedupeSettings`, the story sketch for dedupe (`pipeline.stories.sketch`, packed
as text in `NerResult.story_sketch`). `process_batch` does both steps in one process;
`NerPool` with finishers runs `tag_batch` in the NER processes and `finish_batch` in
processes of its own.

Languages: a process holds one pipeline per configured language (`models`, language code →
pipeline, `pipeline.ner_models`; English by default). Each article's language is the one its
record gives, else detected (`pipeline.language`) on the text NER would read; an article
whose language has no pipeline is not tagged (`skipped="language"`, no entities, still
finished and sketched for dedupe), and one whose language cannot be told goes to the
`DEFAULT_LANGUAGE` pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pipeline.entities import CanonicalEntity, Mention, canonical_entities, ner_text
from pipeline.language import detect_language, language_tag
from pipeline.language import warm_up as warm_up_detector
from pipeline.ner_models import DEFAULT_LANGUAGE, language_models, load_pipeline, resolve_model
from pipeline.places import correct_places
from pipeline.stories import DedupeSettings, pack_sketch, sketch
from pipeline.text import word_count

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_CHARS",
    "NerRequest",
    "NerResult",
    "NerTags",
    "finish_batch",
    "init_finisher",
    "init_worker",
    "process_batch",
    "tag_batch",
    "truncate_for_ner",
]

DEFAULT_MAX_CHARS = 100_000
"""Longest body NER reads (about 16,000 words, 2 s of one core); longer ones are cut."""

DEFAULT_BATCH_SIZE = 32
"""Texts per `nlp.pipe` batch."""

VOCAB_GROWTH_LIMIT = 200_000
"""Lexemes a NER process's vocabulary may gain before the process reloads its model.

spaCy keeps a lexeme for each new word it reads and reads a known word faster. Freeing
them after every batch (a memory zone) made each batch re-make its rare words and cost
about 10 % of NER's rate on news; keeping them costs about 800 bytes a word, bounded
here by a reload (0.3 s) once the vocabulary has grown this much: some 160 MB."""

_WARM_UP = ("warm-up", "Model warm-up", "The model reads one short text in London on Monday.")


@dataclass(frozen=True, slots=True)
class NerRequest:
    """One article for NER."""

    article_id: str
    title: str
    body: str
    published_at: str | None = None
    language: str | None = None  # as the record gives it; None: detect it
    received_at: float | None = None


@dataclass(frozen=True, slots=True)
class NerResult:
    """NER's answer for one article; `error` is set (and `entities` empty) when spaCy failed.

    `words` counts the words of the text NER read (`pipeline.text.word_count`);
    `story_sketch` is the packed story sketch, when the pool sketches and the article's
    date could be read. `language` is the article's (given or detected; None: unknown);
    `skipped` is "language" when no pipeline reads it (no entities, `words` 0).
    """

    article_id: str
    entities: list[CanonicalEntity]
    truncated: bool
    error: str | None
    words: int
    story_sketch: str | None = None
    language: str | None = None
    skipped: Literal["language"] | None = None


@dataclass(frozen=True, slots=True)
class NerTags:
    """A NER process's answer for one article: its mentions as spaCy tagged them (before
    place corrections and canonical form); `error` is set (and `mentions` empty) when spaCy
    failed. `words` counts the words of the text NER read."""

    article_id: str
    mentions: list[Mention]
    truncated: bool
    error: str | None
    words: int
    language: str | None = None
    skipped: Literal["language"] | None = None


@dataclass(frozen=True, slots=True)
class _Tagged:
    """A tagged article as `pipeline.stories.sketch` reads it."""

    id: str
    title: str
    body: str
    published_at: str | None
    entities: list[CanonicalEntity]
    received_at: float | None


def _story_sketch(
    request: NerRequest, entities: list[CanonicalEntity], settings: DedupeSettings
) -> str | None:
    try:
        tagged = _Tagged(
            request.article_id,
            request.title,
            request.body,
            request.published_at,
            entities,
            request.received_at,
        )
        return pack_sketch(sketch(tagged, settings))
    except ValueError:  # an unreadable date: dedupe sketches it again, and says why it cannot
        return None


def truncate_for_ner(body: str, max_chars: int) -> tuple[str, bool]:
    """`body` cut to at most `max_chars` at a whitespace boundary; (text, whether cut).

    A word that the limit cuts in two is dropped; a body with no whitespace before the
    limit is cut hard at it.
    """
    if len(body) <= max_chars:
        return body, False
    head = body[:max_chars]
    if not body[max_chars].isspace():
        words = head.rsplit(None, 1)
        if len(words) == 2:
            head = words[0]
    return head.rstrip(), True


@dataclass(slots=True)
class _Loaded:
    """One language's pipeline in this process."""

    name: str  # the model it was loaded for
    nlp: Language
    lexemes: int  # the size of its vocabulary when loaded


@dataclass(slots=True)
class _WorkerState:
    """This process's settings and models, set by `init_worker` (or defaults, lazily)."""

    models: dict[str, str] = field(default_factory=lambda: language_models(None))
    max_chars: int = DEFAULT_MAX_CHARS
    batch_size: int = DEFAULT_BATCH_SIZE
    loaded: dict[str, _Loaded] = field(default_factory=dict)  # by language
    sketch_settings: DedupeSettings | None = None  # None: no story sketches


_state = _WorkerState()


def init_worker(
    model: str | Mapping[str, str] | None,
    max_chars: int,
    batch_size: int,
    sketch_settings: DedupeSettings | None = None,
) -> None:
    """Process initializer: set this process's NER settings, load the language detector and
    each language's pipeline (`model`: one pipeline for English, or language -> pipeline),
    and warm them up."""
    if max_chars < 1 or batch_size < 1:
        raise ValueError(f"max_chars and batch_size must be positive: {max_chars}, {batch_size}")
    _state.models, _state.max_chars = language_models(model), max_chars
    _state.batch_size, _state.sketch_settings = batch_size, sketch_settings
    warm_up_detector()
    process_batch([NerRequest(*_WARM_UP, language=lang) for lang in _state.models])


def init_finisher(max_chars: int, sketch_settings: DedupeSettings | None = None) -> None:
    """Process initializer of a finishing process: its settings; no model is loaded."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive: {max_chars}")
    _state.max_chars, _state.sketch_settings = max_chars, sketch_settings
    request = NerRequest(*_WARM_UP)
    finish_batch([request], [NerTags(request.article_id, [], False, None, 0)])


def _doc(nlp: Language, text: str) -> Doc:
    """Tokenise `text`, marking the token after each line break as a sentence start."""
    doc = nlp.make_doc(text)
    if "\n" in text:
        for token in doc[:-1]:
            if token.is_space and "\n" in token.text:
                doc[token.i + 1].is_sent_start = True
    return doc


def _pipeline(language: str) -> _Loaded:
    """This process's spaCy pipeline for `language`, loaded when missing or another model
    (`init_worker` warms it up at start)."""
    name = resolve_model(_state.models[language] or None)
    loaded = _state.loaded.get(language)
    if loaded is None or loaded.name != name:
        nlp = load_pipeline(name)
        loaded = _state.loaded[language] = _Loaded(name, nlp, len(nlp.vocab))
    return loaded


def _route(request: NerRequest, text: str) -> tuple[str | None, str | None]:
    """(the article's language, the language whose pipeline tags it; None: none does)."""
    language = language_tag(request.language) or detect_language(text)
    if language is None:
        return None, DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in _state.models else None
    return language, language if language in _state.models else None


def _tag(nlp: Language, texts: list[str]) -> tuple[list[list[Mention]], list[str | None]]:
    """Mentions of each text, and each one's error (spaCy raised on it alone)."""
    errors: list[str | None] = [None] * len(texts)
    try:
        docs = nlp.pipe((_doc(nlp, text) for text in texts), batch_size=_state.batch_size)
        return [_mentions(doc) for doc in docs], errors
    except Exception:
        mentions: list[list[Mention]] = []
        for index, text in enumerate(texts):
            try:
                mentions.append(_mentions(nlp(_doc(nlp, text))))
            except Exception as exc:  # this article's own failure, returned as a value
                mentions.append([])
                errors[index] = f"{type(exc).__name__}: {exc}"
        return mentions, errors


def _mentions(doc: Doc) -> list[Mention]:
    # An entity may end on a whitespace token ("Christchurch\n\n"): trim it off.
    spans = [(ent.text.rstrip(), ent.label_, ent.start_char) for ent in doc.ents]
    return [Mention(text, label, start, start + len(text)) for text, label, start in spans]


def _read_text(request: NerRequest, max_chars: int) -> tuple[str, bool]:
    """The text NER reads of `request` (`ner_text` of the title and the cut body), and
    whether the body was cut."""
    body, cut = truncate_for_ner(request.body, max_chars)
    return ner_text(request.title, body), cut


def tag_batch(requests: list[NerRequest]) -> list[NerTags]:
    """spaCy's mentions for a batch, in order; runs in a NER process.

    Articles are tagged by their language's pipeline (module docstring). If spaCy raises
    on a batch, each article is retried alone and only the failing ones get an `error`. A
    pipeline is reloaded after a batch that grew its vocabulary past `VOCAB_GROWTH_LIMIT`
    new words: a long-running worker does not grow without bound.
    """
    read = [_read_text(request, _state.max_chars) for request in requests]
    routes = [_route(request, text) for request, (text, _) in zip(requests, read, strict=True)]
    mentions: list[list[Mention]] = [[] for _ in requests]
    errors: list[str | None] = [None] * len(requests)
    by_pipeline: dict[str, list[int]] = {}
    for index, (_, pipeline) in enumerate(routes):
        if pipeline is not None:
            by_pipeline.setdefault(pipeline, []).append(index)
    for language, indices in by_pipeline.items():
        loaded = _pipeline(language)
        found, failed = _tag(loaded.nlp, [read[i][0] for i in indices])
        for index, one, error in zip(indices, found, failed, strict=True):
            mentions[index], errors[index] = one, error
        if len(loaded.nlp.vocab) - loaded.lexemes > VOCAB_GROWTH_LIMIT:
            del _state.loaded[language]  # the next batch loads it afresh
    return [
        NerTags(request.article_id, found, cut, error, word_count(text), language)
        if pipeline is not None
        else NerTags(request.article_id, [], cut, None, 0, language, "language")
        for request, found, (text, cut), error, (language, pipeline) in zip(
            requests, mentions, read, errors, routes, strict=True
        )
    ]


def _finish(request: NerRequest, tags: NerTags) -> NerResult:
    def result(
        entities: list[CanonicalEntity], error: str | None, sketched: str | None = None
    ) -> NerResult:
        return NerResult(
            request.article_id,
            entities,
            tags.truncated,
            error,
            tags.words,
            sketched,
            tags.language,
            tags.skipped,
        )

    if tags.error is not None:
        return result([], tags.error)
    text, _ = _read_text(request, _state.max_chars)
    try:
        entities = canonical_entities(correct_places(tags.mentions, text), request.title)
    except Exception as exc:  # this article's own failure, returned as a value
        return result([], f"canonical entities failed: {type(exc).__name__}: {exc}")
    settings = _state.sketch_settings
    story_sketch = None if settings is None else _story_sketch(request, entities, settings)
    return result(entities, None, story_sketch)


def finish_batch(requests: list[NerRequest], tags: list[NerTags]) -> list[NerResult]:
    """Place corrections, canonical entities and (given sketch settings) story sketches
    for a batch `tag_batch` tagged, in order; runs in a finishing or a NER process."""
    return [_finish(request, t) for request, t in zip(requests, tags, strict=True)]


def process_batch(requests: list[NerRequest]) -> list[NerResult]:
    """NER and its finishing for a batch, in order, in this process: `tag_batch` then
    `finish_batch`."""
    return finish_batch(requests, tag_batch(requests))
