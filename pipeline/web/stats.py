"""The figures behind the dashboard and `GET /api/stats`, in one JSON document.

`assemble` joins three plain inputs: this worker's metrics snapshot, the store's totals, and
the topology table (so a stage that does not exist has no entry, and a new stage appears by
being a row there). `Stats` caches the result for a second: every dashboard and API client in
that second shares one computation, which keeps `/api/stats` fast under load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

from pipeline.entities import NAMED_LABELS
from pipeline.topology import DEADLETTER, Stage
from pipeline.web.trending import rank_named
from pipeline.windows import Clock

__all__ = ["Stats", "assemble"]

TRENDING: Final = 10


class _Figures(Protocol):
    async def figures(self, now: float) -> dict[str, Any]: ...


def _stage_entry(
    stage: Stage, figures: Mapping[str, Any] | None, lag: int | None
) -> dict[str, Any]:
    figures = figures or {}
    return {
        "name": stage.name,
        "source": stage.source,
        "sink": stage.sink,
        "ok": figures.get("ok", 0),
        "deadletter": figures.get("deadletter", 0),
        "rate_1m": figures.get("rate_1m", 0.0),
        "rate_5m": figures.get("rate_5m", 0.0),
        "rates": figures.get("rates", []),
        "latency": figures.get("latency", {"count": 0, "p50": None, "p95": None, "p99": None}),
        "latency_series": figures.get("latency_series", []),
        "lag": lag,
    }


def _trending(latest: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return rank_named((article.get("entities") or () for article in latest), TRENDING)


def assemble(
    snapshot: Mapping[str, Any],
    store: Mapping[str, Any],
    stages: Sequence[Stage],
    topic_prefix: str,
    app_id: str,
) -> dict[str, Any]:
    """The stats document from a metrics snapshot, the store's figures and the topology."""
    lags: dict[str, int] = {}
    partitions: list[dict[str, Any]] = []
    for entry in snapshot["lag"]:
        name = str(entry["topic"]).removeprefix(topic_prefix)
        lags[name] = lags.get(name, 0) + int(entry["lag"])
        partitions.append({**entry, "name": name})
    flow = [_stage_entry(s, snapshot["stages"].get(s.name), lags.get(s.source)) for s in stages]
    first = flow[0] if flow else None
    return {
        "app_id": app_id,
        "now": snapshot["now"],
        "started_at": snapshot["started_at"],
        "step": snapshot["step"],
        "processed": (first["ok"] + first["deadletter"]) if first else 0,
        "flow": {"stages": flow, "deadletter_topic": DEADLETTER},
        "stored": {**snapshot["stored"], "store": store},
        "end_to_end": snapshot["end_to_end"],
        "deadletters": snapshot["deadletters"],
        "entities": _trending(snapshot["latest_stored"]),
        "named_labels": sorted(NAMED_LABELS),
        "lag": partitions,
        "ner": snapshot.get("ner", {}),
        "decisions": snapshot.get("decisions", {}),
    }


class Stats:
    """`assemble` over live inputs, computed at most once per `ttl` seconds."""

    def __init__(
        self,
        store: _Figures,
        snapshot: Callable[[], Mapping[str, Any]],
        stages: Sequence[Stage],
        topic_prefix: str,
        app_id: str,
        ttl: float = 1.0,
        clock: Clock = time.time,
    ) -> None:
        self.store, self.snapshot, self.stages = store, snapshot, stages
        self.topic_prefix, self.app_id, self.ttl, self.clock = topic_prefix, app_id, ttl, clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Any]:
        """The latest stats, at most `ttl` seconds old."""
        async with self._lock:  # concurrent callers wait for one computation
            now = self.clock()
            if self._cached is not None and now - self._cached[0] < self.ttl:
                return self._cached[1]
            store = await self.store.figures(now)
            stats = assemble(self.snapshot(), store, self.stages, self.topic_prefix, self.app_id)
            self._cached = (now, stats)
            return stats
