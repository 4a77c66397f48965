"""enrich: news.clean → news.enriched, named entities by spaCy in a process pool.

The event loop never runs spaCy. A batch taken from the stream is cut into chunks
(`ner_chunks`), all submitted to `NerPool` at once: each process works through its queue
without pausing while the agent forwards, in order, the chunks already done. A batch's
offsets are done after the whole batch is sent on and Kafka has it (`in_flight`).
"""

from __future__ import annotations

import asyncio
import time
from typing import cast

from faust import StreamT
from faust.streams import Stream
from faust.types import EventT

from pipeline import metrics
from pipeline.app import app, settings
from pipeline.commits import in_flight
from pipeline.dedupe import dedupe_settings
from pipeline.enrich import enriched_article, ner_chunks, ner_request, without_entities
from pipeline.errors import RejectedArticle
from pipeline.ner import NerResult
from pipeline.ner_pool import NerPool
from pipeline.records import decode_record
from pipeline.routing import Outbox, relay
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import CleanArticle

__all__ = ["enrich"]

STAGE = stage("enrich")

QUEUED_CHUNKS = 4
"""Chunks per NER process in one taken batch: while the agent forwards a chunk, its
process already runs the next, so the pool pauses only between taken batches."""

_Taken = list[tuple[EventT[bytes], CleanArticle]]


def _submit(pool: NerPool, chunk: _Taken) -> asyncio.Task[list[NerResult]]:
    """Start NER on one chunk now; the task reports its cost to the metrics when done."""
    submitted = time.perf_counter()

    async def run() -> list[NerResult]:
        results = await pool.run([ner_request(article) for _, article in chunk])
        words = sum(r.words for r in results)
        seconds = time.perf_counter() - submitted
        metrics.observe_ner(len(results), words, seconds, pool.stats.in_flight)
        return results

    return asyncio.ensure_future(run())


@app.agent(topic(STAGE.source), name=STAGE.name)
async def enrich(stream: StreamT[bytes]) -> None:
    if not settings.ner_enabled:  # the non-NLP path: same topics, no entities
        await relay(
            stream,
            STAGE,
            lambda data: without_entities(decode_record(data, CleanArticle)),
            batch_size=settings.stage_batch_size,
            within=settings.stage_batch_seconds,
        )
        return
    pool = NerPool(
        processes=settings.ner_processes,
        finishers=settings.ner_finish_processes,
        model=settings.ner_models,
        max_chars=settings.ner_max_chars,
        batch_size=settings.ner_batch_size,
        sketch_settings=dedupe_settings(settings) if settings.dedupe_enabled else None,
    )
    await pool.start()
    batches = cast(Stream[bytes], stream).take_events(
        settings.ner_batch_size * settings.ner_processes * QUEUED_CHUNKS,
        within=settings.ner_batch_seconds,
    )
    try:
        async for events in batches:
            started = time.perf_counter()
            with in_flight(events) as fresh:
                outbox = Outbox()
                accepted: _Taken = []
                for event in fresh:
                    try:
                        accepted.append((event, decode_record(event.value, CleanArticle)))
                    except RejectedArticle as error:
                        await outbox.dead_letter(event, STAGE, error)
                chunks = ner_chunks(accepted, settings.ner_processes, settings.ner_batch_size)
                answers = [_submit(pool, chunk) for chunk in chunks]
                try:
                    for chunk, answer in zip(chunks, answers, strict=True):
                        results, now = await answer, time.time()
                        for (event, article), result in zip(chunk, results, strict=True):
                            try:
                                await outbox.emit(STAGE, enriched_article(article, result, now))
                            except RejectedArticle as error:
                                await outbox.dead_letter(event, STAGE, error)
                finally:
                    for answer in answers:  # after a failure, no chunk runs on unawaited
                        answer.cancel()
                await outbox.delivered()
                if accepted:
                    metrics.observe_stage(STAGE.name, time.perf_counter() - started, len(accepted))
    finally:
        # Shielded: a worker that is shutting down cancels agents, and the pool must stop.
        await asyncio.shield(pool.close())
