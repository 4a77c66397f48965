"""`GET /`: the dashboard page, and `GET /static/{name}`: its script and style sheet.

The page is three static files shipped in the package (`pipeline/web/static/`), read once at
import: no build step, nothing fetched from the internet (the Content-Security-Policy only
allows this origin). The page draws itself from `/api/stats/stream` and `/api/stream`.

Faust's own index answers `/` too; this view is registered at import, before Faust adds its
built-in pages when the server starts, and the first route registered for a path wins.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final, cast

from aiohttp import web as aioweb
from faust.web import Request, Response, View

from pipeline.app import app
from pipeline.web.http import error

__all__ = ["ASSETS", "IndexView", "StaticView"]

_TYPES: Final = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
_POLICY: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _load() -> dict[str, tuple[bytes, str]]:
    folder = files("pipeline.web") / "static"
    return {
        item.name: (item.read_bytes(), _TYPES[item.name.rpartition(".")[2]])
        for item in folder.iterdir()
        if item.is_file() and item.name.rpartition(".")[2] in _TYPES
    }


ASSETS: Final = _load()


def _asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return error(404, f"no static file {name!r}")
    body, content_type = found
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "no-cache",
        "Content-Security-Policy": _POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    return cast(Response, aioweb.Response(body=body, headers=headers))


@app.page("/", name="dashboard")
class IndexView(View):
    """The dashboard."""

    async def get(self, request: Request) -> Response:
        return _asset("index.html")


@app.page("/static/{name}", name="dashboard_static")
class StaticView(View):
    """The dashboard's script and style sheet (only the shipped files)."""

    async def get(self, request: Request, name: str) -> Response:
        return _asset(name)
