"""The live sources inside the worker: a Faust service started and stopped with the app.

Importing this module registers it. `SOURCES` is what the web views read: the producer
for `POST /api/articles`, the registry and health for `GET /api/feeds`.
"""

from __future__ import annotations

import logging

from mode import Service

from pipeline.app import app, settings
from pipeline.feeds.service import Sources

__all__ = ["SOURCES", "SourcesService"]

log = logging.getLogger(__name__)

SOURCES = Sources(settings)


@app.service
class SourcesService(Service):
    """Starts the news.raw producer, and the feed poller unless `NEWSWIRE_FEEDS_ENABLED=false`."""

    async def on_start(self) -> None:
        if not settings.api_token:
            log.warning(
                "NEWSWIRE_API_TOKEN is not set: POST /api/articles answers only callers "
                "on the loopback interface (127.0.0.1, ::1)"
            )
        await SOURCES.start(poll=settings.feeds_enabled)

    @Service.task
    async def _poll(self) -> None:
        await SOURCES.run()

    async def on_stop(self) -> None:
        await SOURCES.stop()

    def __repr__(self) -> str:
        return "SourcesService()"
