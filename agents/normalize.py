"""normalize: news.raw → news.clean (validate, clean, id); refusals go to news.deadletter."""

from __future__ import annotations

from datetime import UTC, datetime

from faust import StreamT

from pipeline.app import app, settings
from pipeline.normalize import normalize_record
from pipeline.routing import forward
from pipeline.topics import topic
from pipeline.topology import stage

__all__ = ["normalize"]

STAGE = stage("normalize")


@app.agent(topic(STAGE.source), name=STAGE.name)
async def normalize(stream: StreamT[bytes]) -> None:
    limits = settings.cleaning
    async for event in stream.events():
        await forward(event, STAGE, lambda data: normalize_record(data, limits, datetime.now(UTC)))
