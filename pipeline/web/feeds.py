"""`GET /api/feeds`: the subscribed feeds with their health, for the dashboard's Sources panel.

Each feed: `name`, `url`, `interval_seconds`, `failures`, `next_poll_at`, `last_error` (from
the registry) and this worker's figures since it started (`pipeline.feeds.health`): polls,
items, items/hour, last success, last error and its reason, median fetch seconds and
freshness (age of the newest item). `polling` says whether this worker polls feeds.
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from pipeline.app import app, settings
from pipeline.feeds.worker_service import SOURCES
from pipeline.web.http import json_response

__all__ = ["FeedsView"]


@app.page("/api/feeds", name="api_feeds")
class FeedsView(View):
    """Subscriptions and their health."""

    async def get(self, request: Request) -> Response:
        health = SOURCES.health.snapshot()
        feeds: list[dict[str, Any]] = []
        if SOURCES.registry is not None:
            for sub in await SOURCES.registry.subscriptions():
                feeds.append(
                    {
                        "name": sub.name,
                        "url": sub.url,
                        "interval_seconds": sub.interval_seconds,
                        "failures": sub.failures,
                        "next_poll_at": sub.next_poll_at,
                        "last_error": sub.last_error,
                        "health": health.get(sub.name),
                    }
                )
        return json_response({"polling": settings.feeds_enabled, "feeds": feeds})
