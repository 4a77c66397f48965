"""enrich: news.clean → news.enriched, named entities by spaCy in a process pool.

The event loop never runs spaCy: batches taken from the stream go to `NerPool`, one
chunk per process, and the agent awaits them. Events are acknowledged after their batch
is sent on and Kafka has it (`take_events` acks after the loop body).
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
from pipeline.enrich import enriched_article, ner_request, without_entities
from pipeline.errors import RejectedArticle
from pipeline.ner import NerPool
from pipeline.records import decode_record
from pipeline.routing import Outbox, relay
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import CleanArticle

__all__ = ["enrich"]

STAGE = stage("enrich")


def _chunks(
    items: list[tuple[EventT[bytes], CleanArticle]], n: int
) -> list[list[tuple[EventT[bytes], CleanArticle]]]:
    size = -(-len(items) // n)  # ceiling: every process gets a near-equal share
    return [items[i : i + size] for i in range(0, len(items), size)] if items else []


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
        model=settings.spacy_model or None,
        max_chars=settings.ner_max_chars,
        batch_size=settings.ner_batch_size,
    )
    await pool.start()
    batches = cast(Stream[bytes], stream).take_events(
        settings.ner_batch_size * settings.ner_processes, within=settings.ner_batch_seconds
    )
    try:
        async for events in batches:
            started = time.perf_counter()
            outbox = Outbox()
            accepted: list[tuple[EventT[bytes], CleanArticle]] = []
            for event in events:
                try:
                    accepted.append((event, decode_record(event.value, CleanArticle)))
                except RejectedArticle as error:
                    await outbox.dead_letter(event, STAGE, error)
            chunks = _chunks(accepted, settings.ner_processes)
            ner_started = time.perf_counter()
            answers = await asyncio.gather(
                *(pool.run([ner_request(article) for _, article in chunk]) for chunk in chunks)
            )
            if accepted:
                metrics.observe_ner(
                    len(accepted),
                    sum(r.words for results in answers for r in results),
                    time.perf_counter() - ner_started,
                    pool.stats.in_flight,
                )
            now = time.time()
            for chunk, results in zip(chunks, answers, strict=True):
                for (event, article), result in zip(chunk, results, strict=True):
                    try:
                        await outbox.emit(STAGE, enriched_article(article, result, now))
                    except RejectedArticle as error:
                        await outbox.dead_letter(event, STAGE, error)
            await outbox.delivered()
            if accepted:
                metrics.observe_stage(STAGE.name, time.perf_counter() - started, len(accepted))
    finally:
        # Shielded: a worker that is shutting down cancels agents, and the pool must stop.
        await asyncio.shield(pool.close())
