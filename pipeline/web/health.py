"""Probes and scraping: `/healthz`, `/readyz`, `/metrics`, and the consumer-lag timer.

- `GET /healthz` (liveness): 200 while the worker's event loop answers.
- `GET /readyz` (readiness): 200 when this worker has pipeline partitions assigned and is not
  rebalancing, the broker answers for them (their end offsets, within `BROKER_TIMEOUT`), and
  the store could take a write; else 503. The body says which check failed.
- `GET /metrics`: Prometheus text of `pipeline.metrics.REGISTRY`.

Consumer lag (`pipeline.web.lag`) is measured every `LAG_EVERY` seconds by an app timer and
published with `pipeline.metrics.set_consumer_lag`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final, cast

from aiohttp import web as aioweb
from faust.types import TP
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.app import app, settings
from pipeline.metrics import REGISTRY, set_consumer_lag
from pipeline.topology import PIPELINE_TOPICS
from pipeline.web.http import json_response
from pipeline.web.lag import measure_consumer_lag, pipeline_assignment
from pipeline.web.live import reader

__all__ = ["HealthView", "MetricsView", "ReadyView", "consumer_lag"]

log = logging.getLogger(__name__)

LAG_EVERY: Final = 5.0
BROKER_TIMEOUT: Final = 2.0
STORE_TIMEOUT: Final = 1.0
TOPICS: Final = frozenset(settings.topic_name(t) for t in PIPELINE_TOPICS)


async def consumer_lag() -> None:
    """Measure and publish this worker's consumer lag (a timer: every `LAG_EVERY` s)."""
    committed = app.monitor.tp_committed_offsets or {}
    try:
        lags = await asyncio.wait_for(
            measure_consumer_lag(app.consumer, committed, TOPICS), timeout=LAG_EVERY
        )
    except Exception as exc:  # a lag reading must never stop the worker
        log.info("consumer lag not measured: %r", exc)
        return
    set_consumer_lag(lags)


app.timer(interval=LAG_EVERY, name="newswire.consumer_lag")(consumer_lag)


@app.page("/healthz", name="healthz")
class HealthView(View):
    """Liveness: the event loop answers."""

    async def get(self, request: Request) -> Response:
        return json_response({"status": "ok"})


async def _broker_answers(assigned: set[TP]) -> bool | None:
    if not assigned:
        return None  # nothing to ask about; readiness already fails on the assignment
    try:
        await asyncio.wait_for(app.consumer.highwaters(*assigned), timeout=BROKER_TIMEOUT)
    except Exception:
        return False
    return True


@app.page("/readyz", name="readyz")
class ReadyView(View):
    """Readiness: partitions assigned, broker reachable, store writable."""

    async def get(self, request: Request) -> Response:
        assigned = pipeline_assignment(app.consumer, TOPICS)
        broker, store = await asyncio.gather(
            _broker_answers(assigned), reader.writable(STORE_TIMEOUT)
        )
        checks: dict[str, Any] = {
            "partitions": len(assigned),
            "rebalancing": app.rebalancing,
            "broker": broker,
            "store": store,
        }
        ready = bool(assigned) and not app.rebalancing and broker is True and store
        return json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


@app.page("/metrics", name="metrics")
class MetricsView(View):
    """Prometheus text exposition."""

    async def get(self, request: Request) -> Response:
        body = generate_latest(REGISTRY)
        response = aioweb.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
        return cast(Response, response)
