"""A real local HTTP server for feed tests: serves given routes from a thread of its own.

Integration tests block (they poll a worker's store), so the server runs its own event
loop in a thread. Routes are `path → handler(request) → aiohttp Response` (a path ending in
"/" serves everything under it) and may be replaced while it runs; every request is
logged as (path, status, request headers).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

__all__ = ["FeedServer", "Handler"]


class FeedServer:
    """`with FeedServer() as server:` … `server.url("/feed.rss")`."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.log: list[tuple[str, int, dict[str, str]]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler = self.routes.get(request.path) or self._prefix_route(request.path)
        response = await handler(request) if handler else web.Response(status=404)
        self.log.append((request.path, response.status, dict(request.headers)))
        return response

    def _prefix_route(self, path: str) -> Handler | None:
        # A route ending in "/" serves everything under it (longest prefix wins).
        prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def statuses(self, path: str) -> list[int]:
        """The statuses answered on `path`, in order."""
        return [status for p, status, _ in list(self.log) if p == path]
