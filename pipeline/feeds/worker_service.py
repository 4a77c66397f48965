"""The live sources inside the worker: a Faust service started and stopped with the app.

Importing this module registers it. `SOURCES` is what the web views read: the producer
for `POST /api/articles`, the registry and health for `GET /api/feeds`.
"""

from __future__ import annotations

from mode import Service

from pipeline.app import app, settings
from pipeline.feeds.service import Sources

__all__ = ["SOURCES", "SourcesService"]

SOURCES = Sources(settings)


@app.service
class SourcesService(Service):
    """Starts the news.raw producer, and the feed poller unless `NEWSWIRE_FEEDS_ENABLED=false`."""

    async def on_start(self) -> None:
        await SOURCES.start(poll=settings.feeds_enabled)

    @Service.task
    async def _poll(self) -> None:
        await SOURCES.run()

    async def on_stop(self) -> None:
        await SOURCES.stop()

    def __repr__(self) -> str:
        return "SourcesService()"
