"""Small HTTP helpers shared by the views: orjson bodies, JSON errors, server-sent events.

Faust's views receive and return its driver's objects, which for the worker's web server
(the aiohttp driver) are aiohttp's `Request` and `Response`; these helpers build those
directly, so headers such as `Content-Type` with a charset are set exactly.
"""

from __future__ import annotations

from typing import Any, Final, cast

import orjson
from aiohttp import web as aioweb
from faust.web import Request, Response

__all__ = [
    "EVENT_STREAM_HEADERS",
    "as_aiohttp",
    "error",
    "json_response",
    "sse_message",
    "truthy",
]

JSON_TYPE: Final = "application/json"
EVENT_STREAM_HEADERS: Final = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # tell a fronting nginx not to buffer the stream
}


def as_aiohttp(request: Request) -> aioweb.Request:
    """The aiohttp request behind a Faust view's request (the worker's web driver)."""
    return cast(aioweb.Request, request)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`data` as a JSON response, encoded by orjson; never cached by the browser."""
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    response = aioweb.Response(
        body=body,
        status=status,
        content_type=JSON_TYPE,
        charset="utf-8",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
    return cast(Response, response)


def error(status: int, message: str) -> Response:
    """A JSON error: `{"error": message, "status": status}`."""
    return json_response({"error": message, "status": status}, status=status)


def sse_message(data: bytes, *, event: str | None = None, event_id: str | None = None) -> bytes:
    """One server-sent event. `data` must be a single line (compact JSON always is)."""
    head = b""
    if event_id is not None:
        head += b"id: " + event_id.encode() + b"\n"
    if event is not None:
        head += b"event: " + event.encode() + b"\n"
    return head + b"data: " + data + b"\n\n"


def truthy(value: str | None, default: bool) -> bool:
    """A boolean query parameter: `1/true/yes/on` or `0/false/no/off` (else the default)."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    return default
