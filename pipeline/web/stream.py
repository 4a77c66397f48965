"""Server-sent events: processed articles for subscribers, and live figures for the dashboard.

`GET /api/stream` sends one `article` event per stored article, in processing order, with the
filters of `/api/articles` (`entity`, `story`, `source`; `body=0` leaves bodies out). Each event
id is the article's store cursor (`pipeline.web.queries.Cursor`), so it starts:

1. after `Last-Event-ID` (the header a reconnecting EventSource sends) or `?last_event_id=`;
2. else at `?since=` (stored at or after; Unix seconds or ISO 8601);
3. else with the newest `?backlog=N` matching articles (default 0), then what comes next.

It polls the store every `POLL` seconds (one indexed range query) and sends a comment line
every `HEARTBEAT` seconds so proxies keep the connection open. `GET /api/stats/stream` sends a
`stats` event (the `/api/stats` document) every `STATS_EVERY` seconds. Both end when the client
goes away or the worker stops.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Final, cast

import orjson
from aiohttp import web as aioweb
from faust.web import Request, Response, View

from pipeline.app import app
from pipeline.web.http import EVENT_STREAM_HEADERS, as_aiohttp, error, sse_message, truthy
from pipeline.web.live import reader, stats
from pipeline.web.queries import MAX_LIMIT, START, ArticleFilters, BadQuery, Cursor, parse_count
from pipeline.web.reader import Item

__all__ = ["ArticleStreamView", "StatsStreamView", "start_cursor"]

POLL: Final = 0.25
HEARTBEAT: Final = 15.0
STATS_EVERY: Final = 1.0
PAGE: Final = 200
RETRY_MS: Final = 2000


async def _open(request: aioweb.Request, response: aioweb.StreamResponse) -> None:
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MS}\n\n".encode())


def _gone(request: aioweb.Request) -> bool:
    transport = request.transport
    return app.should_stop or transport is None or transport.is_closing()


async def start_cursor(
    request: aioweb.Request, filters: ArticleFilters, body: bool
) -> tuple[Cursor, list[tuple[Cursor, Item]]]:
    """Where a stream starts, and the backlog to send first (BadQuery for bad parameters)."""
    resume = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if resume:
        return Cursor.parse(resume), []
    if filters.since is not None:
        return Cursor(filters.since, -1), []  # the first row stored at or after `since`
    backlog = parse_count("backlog", request.query.get("backlog"), 0, 0, MAX_LIMIT)
    # The newest row first, then the backlog: a row stored in between is in one or the other.
    latest = await reader.latest_cursor() or START
    if backlog == 0:
        return latest, []
    rows = await reader.newest(replace(filters, limit=backlog), body=body)
    return max(latest, rows[-1][0]) if rows else latest, rows


async def _send(response: aioweb.StreamResponse, rows: list[tuple[Cursor, Item]]) -> None:
    await response.write(
        b"".join(
            sse_message(orjson.dumps(item), event="article", event_id=str(cursor))
            for cursor, item in rows
        )
    )


@app.page("/api/stream", name="api_stream")
class ArticleStreamView(View):
    """Stored articles as server-sent events, resumable by event id."""

    async def get(self, request: Request) -> Response:
        http = as_aiohttp(request)
        body = truthy(http.query.get("body"), True)
        try:
            filters = ArticleFilters.from_query(http.query)
            cursor, backlog = await start_cursor(http, filters, body)
        except BadQuery as exc:
            return error(400, str(exc))
        response = aioweb.StreamResponse(headers=EVENT_STREAM_HEADERS)
        try:
            await _open(http, response)
            await _send(response, backlog)
            quiet_since = time.monotonic()
            while not _gone(http):
                rows = await reader.after(cursor, filters, PAGE, body=body)
                if rows:
                    await _send(response, rows)
                    cursor, quiet_since = rows[-1][0], time.monotonic()
                    if len(rows) == PAGE:
                        continue  # more are waiting: no pause
                elif time.monotonic() - quiet_since > HEARTBEAT:
                    await response.write(b": keep-alive\n\n")
                    quiet_since = time.monotonic()
                await asyncio.sleep(POLL)  # the poll interval: the store has no push
        except ConnectionResetError:
            pass  # the client went away, or the server is closing the connection
        return cast(Response, response)


@app.page("/api/stats/stream", name="api_stats_stream")
class StatsStreamView(View):
    """The `/api/stats` document as a `stats` event every second."""

    async def get(self, request: Request) -> Response:
        http = as_aiohttp(request)
        response = aioweb.StreamResponse(headers=EVENT_STREAM_HEADERS)
        try:
            await _open(http, response)
            while not _gone(http):
                await response.write(sse_message(orjson.dumps(await stats.get()), event="stats"))
                await asyncio.sleep(STATS_EVERY)  # the update interval of the dashboard
        except ConnectionResetError:
            pass  # the client went away, or the server is closing the connection
        return cast(Response, response)
