"""`POST /api/articles`: articles from the caller's own systems, onto news.raw.

- Auth: `Authorization: Bearer NEWSWIRE_API_TOKEN`, else 401. Without a token configured
  the endpoint answers only callers on the loopback interface (403 otherwise), and the
  worker says so in its log when it starts.
- Body: `application/json` (an object or an array of objects) or JSONL
  (`application/x-ndjson`, `application/jsonl`); other types get 415. Bodies over
  `NEWSWIRE_API_MAX_BODY_BYTES` get 413, judged while reading, whatever the headers say.
- Every record is checked as normalize will check it (`pipeline.sources.http`). If all
  pass: 202 `{"accepted": n, "ids": [...]}` once Kafka has acknowledged them all; the
  ids are the article ids normalize assigns. If any fails: 400 with `rejected` (index,
  line for JSONL, reason, message) and nothing is published, so a corrected body can be
  sent again whole; with `?partial=1` the valid records are published (202, with
  `ids` and `rejected`). Nothing the endpoint refuses is dead-lettered.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from datetime import UTC, datetime
from typing import Final

from faust.web import Request, Response, View

from pipeline.app import app, settings
from pipeline.feeds.worker_service import SOURCES
from pipeline.metrics import FEED_METRICS
from pipeline.sources.http import JSON_TYPES, JSONL_TYPES, check_body
from pipeline.web.http import as_aiohttp, error, json_response, truthy

__all__ = ["IngestView"]

log = logging.getLogger(__name__)

STARTUP_WAIT: Final = 30.0  # seconds a POST waits for the producer while the worker starts


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


class BodyTooLarge(Exception):
    """The request body passed the size limit while being read."""


async def _read_capped(request: Request, limit: int) -> bytes:
    raw = as_aiohttp(request)
    if raw.content_length is not None and raw.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in raw.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@app.page("/api/articles", name="api_ingest")
class IngestView(View):
    """Accepts articles (POST only; GET on the same path is the read API)."""

    async def post(self, request: Request) -> Response:
        raw = as_aiohttp(request)
        if settings.api_token:
            expected = f"Bearer {settings.api_token}"
            given = raw.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return error(401, "missing or wrong bearer token (Authorization: Bearer …)")
        elif not _is_loopback(raw.remote):
            return error(403, "no NEWSWIRE_API_TOKEN configured: only loopback callers")
        media_type = raw.content_type.lower()
        if media_type not in JSON_TYPES | JSONL_TYPES:
            return error(
                415,
                f"content type {media_type!r} not accepted: send application/json "
                "or application/x-ndjson",
            )
        limit = settings.api_max_body_bytes
        try:
            body = await _read_capped(request, limit)
        except BodyTooLarge:
            return error(413, f"body over the limit of {limit:,} bytes")
        now = datetime.now(UTC)
        checked = await asyncio.to_thread(
            check_body, body, jsonl=media_type in JSONL_TYPES, limits=settings.cleaning, now=now
        )
        rejected = [r.asdict() for r in checked.rejected]
        FEED_METRICS.ingest_records.labels("rejected").inc(len(rejected))
        partial = truthy(raw.query.get("partial"), False)
        if rejected and not partial:
            return json_response(
                {"accepted": 0, "ids": [], "rejected": rejected, "published": False}, status=400
            )
        if not checked.accepted:
            return json_response({"accepted": 0, "ids": [], "rejected": rejected}, status=400)
        if not await SOURCES.wait_started(STARTUP_WAIT):
            # The web server answers before the worker's services have started.
            return error(503, "the worker is starting: nothing accepted, retry shortly")
        try:
            await SOURCES.sink.send(checked.accepted)
        except Exception as exc:  # the broker is away: the caller should retry
            log.warning("POST /api/articles not published: %r", exc)
            return error(503, f"could not publish to Kafka: {exc!r}; nothing accepted, retry")
        FEED_METRICS.ingest_records.labels("accepted").inc(len(checked.ids))
        return json_response(
            {"accepted": len(checked.ids), "ids": checked.ids, "rejected": rejected}, status=202
        )
