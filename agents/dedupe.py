"""dedupe: news.enriched → news.articles, each article with its story decision.

news.enriched has one partition, so one worker at a time decides, in one total order, over
one index (see `pipeline.topology`). The index is in memory; its durable form is the
`dedupe-index` table (one entry per article, changelog-backed). When Faust has recovered
that table — at start, after a crash, or when the partition moves to this worker — the
index is rebuilt from it before the next decision. A redelivered article gets the decision
it got the first time.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from faust import StreamT
from faust.streams import Stream

from pipeline import metrics
from pipeline.app import app, settings
from pipeline.commits import in_flight
from pipeline.dedupe import (
    IndexEntry,
    carried_sketch,
    decided_article,
    dedupe_settings,
    restore_index,
    undecided_article,
)
from pipeline.records import decode_record
from pipeline.routing import forward_batch, relay
from pipeline.stories import StoryIndex
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import Article, EnrichedArticle

__all__ = ["dedupe", "index_table"]

log = logging.getLogger(__name__)

STAGE = stage("dedupe")
BATCH = 64
"""Most articles decided in one go: a few milliseconds each, so the loop is never held long."""

index_table = app.Table(
    "dedupe-index",
    partitions=1,
    key_type=str,
    value_type=bytes,
    # One changelog partition: the producer's partitioner always picks it, so the agent can
    # write from a batch (no "current event" needed) and rebuild outside of one.
    use_partitioner=True,
    help="Story index entries (sketch + decision) by article id.",
)


class _Index:
    """The in-memory index and whether the table was recovered since it was built."""

    def __init__(self) -> None:
        self.settings = dedupe_settings(settings)
        self.index = StoryIndex(self.settings)
        self.next_seq = 0
        self.stale = True

    def rebuild(self) -> None:
        started = time.perf_counter()
        # Entries of articles past the horizon are not restored: drop them from the table.
        self.next_seq = restore_index(self.index, index_table.values())
        for article_id in [k for k in index_table if k not in self.index]:
            del index_table[article_id]
        self.stale = False
        log.info(
            "dedupe: story index rebuilt from the table: %d articles in %.2f s",
            len(self.index),
            time.perf_counter() - started,
        )

    def decide(self, data: bytes) -> Article:
        enriched = decode_record(data, EnrichedArticle)
        known = enriched.id in self.index
        sketched = carried_sketch(enriched, self.settings)
        decision = self.index.observe(sketched)
        if not known:
            index_table[enriched.id] = IndexEntry(self.next_seq, sketched, decision).to_bytes()
            self.next_seq += 1
            for gone in self.index.take_expired():
                index_table.pop(gone, None)
        metrics.observe_decision(decision.kind, len(self.index))
        return decided_article(enriched, decision)


STATE = _Index()


@index_table.on_recover
async def _index_recovered() -> None:
    STATE.stale = True


@app.agent(topic(STAGE.source), name=STAGE.name)
async def dedupe(stream: StreamT[bytes]) -> None:
    if not settings.dedupe_enabled:  # the non-NLP path: same topics, no decision
        await relay(
            stream,
            STAGE,
            lambda data: undecided_article(decode_record(data, EnrichedArticle)),
            batch_size=settings.stage_batch_size,
            within=settings.stage_batch_seconds,
        )
        return
    batches = cast(Stream[bytes], stream).take_events(
        min(settings.stage_batch_size, BATCH), within=settings.stage_batch_seconds
    )
    async for events in batches:
        if STATE.stale:
            STATE.rebuild()
        with in_flight(events) as fresh:
            await forward_batch(fresh, STAGE, STATE.decide)
