"""store: news.articles → the table store, in batches, one transaction each.

A batch's offsets are done only after its transaction has committed (`in_flight`), so a
crash before the write redelivers them, and the upsert makes that harmless.
A failing write (store down, disk full, database locked) is retried with back-off, never
skipped.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import cast

from faust import StreamT
from faust.streams import Stream
from sqlalchemy.exc import SQLAlchemyError

from pipeline import metrics
from pipeline.app import app, settings
from pipeline.commits import in_flight
from pipeline.errors import RejectedArticle
from pipeline.records import decode_record
from pipeline.retry import retry_forever
from pipeline.routing import Outbox
from pipeline.store import open_store
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import Article

__all__ = ["store"]

STAGE = stage("store")
STORE_ERRORS = (SQLAlchemyError, OSError)
"""What a store that is down, full or locked raises: retried, never skipped."""


@app.agent(topic(STAGE.source), name=STAGE.name)
async def store(stream: StreamT[bytes]) -> None:
    article_store = open_store(settings.resolved_store_url)
    # A store that is down when the worker starts is waited for, like one that goes down later.
    await retry_forever(article_store.open, what="store open", retry_on=STORE_ERRORS)
    batches = cast(Stream[bytes], stream).take_events(
        settings.store_batch_size, within=settings.store_batch_seconds
    )
    try:
        async for events in batches:
            started = time.perf_counter()
            batch: list[Article] = []
            with in_flight(events) as fresh:
                letters = Outbox()
                for event in fresh:
                    try:
                        batch.append(decode_record(event.value, Article))
                    except RejectedArticle as error:
                        await letters.dead_letter(event, STAGE, error)
                await letters.delivered()
                await retry_forever(
                    partial(article_store.upsert, batch),
                    what="store write",
                    retry_on=STORE_ERRORS,
                )
            if batch:
                metrics.observe_stage(STAGE.name, time.perf_counter() - started, len(batch))
                metrics.observe_stored(batch, time.time())
    finally:
        # Shielded: a worker that is shutting down cancels agents, and the close must finish.
        await asyncio.shield(article_store.close())
