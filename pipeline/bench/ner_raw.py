"""The floor of enrich's cost: bare spaCy `nlp.pipe` over texts, with the pipes NER uses;
and what one NER process does around it, without the pipeline.

`newswire bench enrich` divides the end-to-end rate by this one. Same model and pipes as
the workers (`pipeline.ner.load_pipeline`), same batch size and number of processes; no
canonicalisation, truncation, line-break marks or process pool around it.
"""

from __future__ import annotations

import time

from pipeline.ner import NerRequest, init_worker, load_pipeline, process_batch
from pipeline.stories import DedupeSettings
from pipeline.text import word_count

__all__ = ["pool_work_rate", "raw_spacy_rate"]


def raw_spacy_rate(
    texts: list[str], model: str | None, batch_size: int, n_process: int
) -> tuple[float, float]:
    """(articles/s, words/s) of `nlp.pipe(texts)`; words as `pipeline.text.word_count`.

    The model is loaded and warmed up before the clock starts. With `n_process` > 1 spaCy
    starts its own processes inside `pipe`, and that start-up is timed: it is part of what
    bare `nlp.pipe` costs, so pass enough texts (thousands) for it not to dominate.
    """
    if not texts:
        raise ValueError("raw_spacy_rate needs at least one text")
    nlp = load_pipeline(model)
    nlp("Warm-up: the model reads one short text in London on Monday.")
    words = sum(word_count(text) for text in texts)
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
        pass
    elapsed = time.perf_counter() - started
    return len(texts) / elapsed, words / elapsed


def pool_work_rate(
    requests: list[NerRequest],
    model: str | None,
    max_chars: int,
    batch_size: int,
    sketch_settings: DedupeSettings | None,
) -> float:
    """Articles/s of what one NER process does per batch (`process_batch`: NER, canonical
    entities, place corrections, the story sketch), here in one process, in the workers'
    batches: the ceiling of one process's pipeline rate, with no Kafka or event loop."""
    if not requests:
        raise ValueError("pool_work_rate needs at least one request")
    init_worker(model, max_chars, batch_size, sketch_settings)
    started = time.perf_counter()
    for i in range(0, len(requests), batch_size):
        process_batch(requests[i : i + batch_size])
    return len(requests) / (time.perf_counter() - started)
