"""normalize: news.raw → news.clean (validate, clean, id); refusals go to news.deadletter."""

from __future__ import annotations

from datetime import UTC, datetime

from faust import StreamT

from pipeline.app import app, settings
from pipeline.normalize import normalize_record
from pipeline.routing import relay
from pipeline.topics import topic
from pipeline.topology import stage
from schemas.article import CleanArticle

__all__ = ["normalize"]

STAGE = stage("normalize")


@app.agent(topic(STAGE.source), name=STAGE.name)
async def normalize(stream: StreamT[bytes]) -> None:
    limits = settings.cleaning

    def clean(data: bytes) -> CleanArticle:
        return normalize_record(data, limits, datetime.now(UTC))

    await relay(
        stream,
        STAGE,
        clean,
        batch_size=settings.stage_batch_size,
        within=settings.stage_batch_seconds,
    )
