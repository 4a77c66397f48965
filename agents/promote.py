"""promote: news.enriched → news.articles, standing in for dedupe until it exists."""

from __future__ import annotations

from faust import StreamT

from pipeline.app import app
from pipeline.records import decode_record
from pipeline.records import promote as to_article
from pipeline.routing import forward
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import EnrichedArticle

__all__ = ["promote"]

STAGE = stage("promote")


@app.agent(topic(STAGE.source), name=STAGE.name)
async def promote(stream: StreamT[bytes]) -> None:
    async for event in stream.events():
        await forward(event, STAGE, lambda data: to_article(decode_record(data, EnrichedArticle)))
