"""The floor of enrich's cost: bare spaCy `nlp.pipe` over texts, with the pipes NER uses;
and what one NER process does around it, without the pipeline.

`newswire bench enrich` divides the end-to-end rate by this one. Same model and pipes as
the workers (`pipeline.ner_models.load_pipeline`), same batch size and number of processes; no
canonicalisation, truncation, line-break marks or process pool around it.
"""

from __future__ import annotations

import time

from pipeline.ner import NerRequest, finish_batch, init_worker, tag_batch
from pipeline.ner_models import load_pipeline
from pipeline.stories import DedupeSettings
from pipeline.text import word_count

__all__ = ["pool_work_rates", "raw_spacy_rate", "work_ceiling"]


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


def pool_work_rates(
    requests: list[NerRequest],
    model: str | None,
    max_chars: int,
    batch_size: int,
    sketch_settings: DedupeSettings | None,
) -> tuple[float, float]:
    """Articles/s of one process's `tag_batch` (NER) and of `finish_batch` (canonical
    entities, place corrections, the story sketch), in the workers' batches, in this
    process, with no Kafka or event loop."""
    if not requests:
        raise ValueError("pool_work_rates needs at least one request")
    init_worker(model, max_chars, batch_size, sketch_settings)
    tagging = finishing = 0.0
    for i in range(0, len(requests), batch_size):
        batch = requests[i : i + batch_size]
        started = time.perf_counter()
        tags = tag_batch(batch)
        tagged = time.perf_counter()
        finish_batch(batch, tags)
        tagging, finishing = tagging + tagged - started, finishing + time.perf_counter() - tagged
    return len(requests) / tagging, len(requests) / finishing


def work_ceiling(tag_rate: float, finish_rate: float, processes: int, finishers: int) -> float:
    """Articles/s the pool's processes can do, from one process's rates: the slower of
    tagging and finishing when finishers run beside the NER processes, else the NER
    processes doing both."""
    if finishers:
        return min(tag_rate * processes, finish_rate * finishers)
    return processes / (1 / tag_rate + 1 / finish_rate)
