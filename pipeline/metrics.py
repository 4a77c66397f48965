"""What the worker measures: Prometheus series to scrape, and rolling windows for the dashboard.

Agents report as records move, with three calls:

- `observe_stage(stage, seconds, count=1)`: `count` records passed `stage` (outcome `ok`) in
  `seconds` (one unit of work: a record, or a whole batch, as stages that `relay` and the
  store report);
- `observe_dead_letter(stage, reason, message, where)`: `stage` refused one record (outcome
  `deadletter`); `where` locates it as `topic[partition]@offset`;
- `observe_stored(articles, now)`: a batch reached the table store at `now` (Unix seconds);
  the end-to-end latency of each article is `now - received_at`.

A periodic task calls `set_consumer_lag` with the lag of every assigned partition.

The series live in their own `CollectorRegistry` (`REGISTRY`), never the global one, and follow
Prometheus naming: `newswire_articles_total{stage,outcome}` (outcome `ok` | `deadletter`),
`newswire_stage_seconds{stage}`, `newswire_deadletters_total{stage,reason}`,
`newswire_end_to_end_seconds`, `newswire_stored_total`, `newswire_consumer_lag{topic,partition}`,
`newswire_dedupe_decisions_total{kind}`, `newswire_dedupe_indexed_articles`, NER's cost
(`newswire_ner_articles_total`, `newswire_ner_words_total`, `newswire_ner_batch_seconds`,
`newswire_ner_batch_articles`, `newswire_ner_in_flight`),
plus the standard `process_*` series. No label ever carries an article id or URL.

Figures are per worker process, from its start: Prometheus sums them across workers. The
dashboard's windows (rates per stage over the last minutes, p50/p95/p99 over the last five,
the latest dead letters and stored articles) are in `snapshot()`; see `pipeline.windows`.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)

from pipeline.windows import Clock, LatencyWindow, RateWindow
from schemas.article import Article

__all__ = [
    "FEED_METRICS",
    "METRICS",
    "REGISTRY",
    "FeedMetrics",
    "PipelineMetrics",
    "observe_dead_letter",
    "observe_decision",
    "observe_ner",
    "observe_stage",
    "observe_stored",
    "set_consumer_lag",
    "snapshot",
]

# Histogram bounds (seconds): a stage's record takes 100 µs to seconds (NER, store batches);
# publish → stored takes milliseconds when idle, minutes behind a backlog.
STAGE_BUCKETS: Final = (
    *(1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1),
    *(0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
E2E_BUCKETS: Final = (
    *(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    *(10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)

RATE_SPAN = 600.0  # seconds of per-stage rates kept for the chart
LATENCY_SPAN = 300.0  # seconds over which percentiles are taken
LATEST = 50  # dead letters and stored articles kept for the dashboard
MESSAGE_CHARS = 300  # a dead letter's message is cut to this for the dashboard


def _summary(article: Article, now: float) -> dict[str, Any]:
    received = article.received_at
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published_at": article.published_at,
        "entities": [{"text": e.text, "label": e.label} for e in article.entities],
        "kind": article.kind,
        "story_id": article.story_id,
        "duplicate_of": article.duplicate_of,
        "related_to": article.related_to,
        "received_at": received,
        "stored_at": now,
        "latency": None if received is None else max(0.0, now - received),
    }


class _StageSeries:
    """One stage's labelled series and windows, looked up once per call (a record's hot path)."""

    def __init__(self, owner: PipelineMetrics, stage: str) -> None:
        self.ok_total = owner.articles.labels(stage, "ok")
        self.dead_total = owner.articles.labels(stage, "deadletter")
        self.seconds = owner.stage_seconds.labels(stage)
        self.ok = 0
        self.deadletter = 0
        self.rate = RateWindow(RATE_SPAN, clock=owner.clock, started=owner.started_at)
        self.latency = LatencyWindow(LATENCY_SPAN, clock=owner.clock)


class PipelineMetrics:
    """The Prometheus series and dashboard windows of one worker (tests make their own)."""

    def __init__(self, registry: CollectorRegistry | None = None, clock: Clock = time.time) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.clock = clock
        self.started_at = clock()
        r = self.registry
        self.articles = Counter(
            "newswire_articles",
            "Records each stage finished, by outcome.",
            ["stage", "outcome"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "newswire_stage_seconds",
            "Time a stage spent on one unit of work (a record, or a whole batch).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.deadletters = Counter(
            "newswire_deadletters",
            "Records refused, by stage and reason.",
            ["stage", "reason"],
            registry=r,
        )
        self.end_to_end = Histogram(
            "newswire_end_to_end_seconds",
            "From received_at (put on news.raw) to stored.",
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.stored = Counter("newswire_stored", "Articles written to the table store.", registry=r)
        self.lag = Gauge(
            "newswire_consumer_lag",
            "Records not yet processed: end offset - committed offset.",
            ["topic", "partition"],
            registry=r,
        )
        self.decisions = Counter(
            "newswire_dedupe_decisions",
            "Story decisions of dedupe, by kind (new, duplicate, same_story).",
            ["kind"],
            registry=r,
        )
        self.indexed = Gauge(
            "newswire_dedupe_indexed_articles",
            "Articles in this worker's story index (within the horizon).",
            registry=r,
        )
        self.ner_articles = Counter(
            "newswire_ner_articles", "Articles NER has tagged (enrich).", registry=r
        )
        self.ner_words = Counter("newswire_ner_words", "Words NER has read (enrich).", registry=r)
        self.ner_batch_seconds = Histogram(
            "newswire_ner_batch_seconds",
            "Wall time of one NER batch across the pool, queueing included.",
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.ner_batch_articles = Histogram(
            "newswire_ner_batch_articles",
            "Articles in one NER batch.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=r,
        )
        self.ner_in_flight = Gauge(
            "newswire_ner_in_flight",
            "NER batches submitted to the pool and not answered yet.",
            registry=r,
        )
        self._ner_words_rate = RateWindow(RATE_SPAN, clock=clock, started=self.started_at)
        self._ner_articles_rate = RateWindow(RATE_SPAN, clock=clock, started=self.started_at)
        self._ner_last: dict[str, float] = {}
        self._decisions: Tally[str] = Tally()
        self._stages: dict[str, _StageSeries] = {}
        self._reasons: Tally[tuple[str, str]] = Tally()
        self._stored_total = 0
        self._end_to_end = LatencyWindow(LATENCY_SPAN, clock=clock)
        self._stored_rate = RateWindow(RATE_SPAN, clock=clock, started=self.started_at)
        self._latest_dead: deque[dict[str, Any]] = deque(maxlen=LATEST)
        self._latest_stored: deque[dict[str, Any]] = deque(maxlen=LATEST)
        self._lag: dict[tuple[str, int], int] = {}

    def _stage(self, stage: str) -> _StageSeries:
        series = self._stages.get(stage)
        if series is None:
            series = self._stages[stage] = _StageSeries(self, stage)
        return series

    def observe_stage(self, stage: str, seconds: float, count: int = 1) -> None:
        """`count` records passed `stage` (outcome ok) in `seconds`."""
        series = self._stages.get(stage) or self._stage(stage)
        now = self.clock()
        series.ok += count
        series.ok_total.inc(count)
        series.seconds.observe(seconds)
        series.rate.add(count, now)
        series.latency.observe(seconds, now)

    def observe_dead_letter(self, stage: str, reason: str, message: str, where: str) -> None:
        """`stage` refused one record for `reason`; `where` is `topic[partition]@offset`."""
        series = self._stage(stage)
        now = self.clock()
        series.deadletter += 1
        series.dead_total.inc()
        series.rate.add(1, now)
        self.deadletters.labels(stage, reason).inc()
        self._reasons[stage, reason] += 1
        self._latest_dead.append(
            {
                "stage": stage,
                "reason": reason,
                "message": message[:MESSAGE_CHARS],
                "where": where,
                "at": now,
            }
        )

    def observe_stored(self, articles: Sequence[Article], now: float) -> None:
        """`articles` were written to the table store at `now` (Unix seconds)."""
        if not articles:
            return
        self.stored.inc(len(articles))
        self._stored_total += len(articles)
        self._stored_rate.add(len(articles))
        latencies = [max(0.0, now - a.received_at) for a in articles if a.received_at is not None]
        for latency in latencies:
            self.end_to_end.observe(latency)
        self._end_to_end.observe_many(latencies)
        # Only the newest LATEST are kept: summarising the rest of a big batch is waste.
        self._latest_stored.extend(_summary(a, now) for a in articles[-LATEST:])

    def observe_ner(self, articles: int, words: int, seconds: float, in_flight: int) -> None:
        """NER tagged `articles` (`words` words) in one batch of `seconds` wall time."""
        now = self.clock()
        self.ner_articles.inc(articles)
        self.ner_words.inc(words)
        self.ner_batch_seconds.observe(seconds)
        self.ner_batch_articles.observe(articles)
        self.ner_in_flight.set(in_flight)
        self._ner_words_rate.add(words, now)
        self._ner_articles_rate.add(articles, now)
        self._ner_last = {"batch_articles": articles, "batch_seconds": seconds}

    def observe_decision(self, kind: str, indexed: int) -> None:
        """dedupe decided `kind` for one article; its index now holds `indexed` articles."""
        self.decisions.labels(kind).inc()
        self.indexed.set(indexed)
        self._decisions[kind] += 1

    def set_consumer_lag(self, lags: Mapping[tuple[str, int], int]) -> None:
        """Replace the lag of every partition this worker reads (topic, partition) → records."""
        self.lag.clear()
        for (topic, partition), lag in lags.items():
            self.lag.labels(topic, str(partition)).set(lag)
        self._lag = dict(lags)

    def snapshot(self, step: float = 10.0) -> dict[str, Any]:
        """The dashboard's figures as plain JSON-able data (rates per `step` seconds)."""
        stages = {
            name: {
                "ok": series.ok,
                "deadletter": series.deadletter,
                "rate_1m": series.rate.rate(60.0),
                "rate_5m": series.rate.rate(300.0),
                "rates": series.rate.series(RATE_SPAN, step),
                "latency": series.latency.percentiles().asdict(),
                "latency_series": [{"at": at, **p.asdict()} for at, p in series.latency.series()],
            }
            for name, series in sorted(self._stages.items())
        }
        by_reason: Tally[str] = Tally()
        for (_, reason), n in self._reasons.items():
            by_reason[reason] += n
        return {
            "now": self.clock(),
            "started_at": self.started_at,
            "step": step,
            "stages": stages,
            "stored": {
                "total": self._stored_total,
                "rate_1m": self._stored_rate.rate(60.0),
                "rates": self._stored_rate.series(RATE_SPAN, step),
            },
            "end_to_end": {
                **self._end_to_end.percentiles().asdict(),
                "series": [{"at": at, **p.asdict()} for at, p in self._end_to_end.series()],
            },
            "deadletters": {
                "total": sum(self._reasons.values()),
                "by_reason": dict(by_reason.most_common()),
                "by_stage_reason": [
                    {"stage": s, "reason": r, "count": n}
                    for (s, r), n in sorted(self._reasons.items())
                ],
                "latest": list(reversed(self._latest_dead)),
            },
            "latest_stored": list(reversed(self._latest_stored)),
            "decisions": dict(self._decisions),
            "ner": {
                "articles_per_s": self._ner_articles_rate.rate(60.0),
                "words_per_s": self._ner_words_rate.rate(60.0),
                **self._ner_last,
            },
            "lag": [
                {"topic": t, "partition": p, "lag": n} for (t, p), n in sorted(self._lag.items())
            ],
        }


# The `*_created` series (a gauge per counter) only double the scrape; process-wide switch.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
METRICS = PipelineMetrics(REGISTRY)


def observe_stage(stage: str, seconds: float, count: int = 1) -> None:
    """`count` records passed `stage` (outcome ok) in `seconds`."""
    METRICS.observe_stage(stage, seconds, count)


def observe_dead_letter(stage: str, reason: str, message: str, where: str) -> None:
    """`stage` refused one record for `reason`; `where` is `topic[partition]@offset`."""
    METRICS.observe_dead_letter(stage, reason, message, where)


def observe_stored(articles: Sequence[Article], now: float) -> None:
    """`articles` were written to the table store at `now` (Unix seconds)."""
    METRICS.observe_stored(articles, now)


def observe_ner(articles: int, words: int, seconds: float, in_flight: int) -> None:
    """NER tagged `articles` (`words` words) in one batch of `seconds` wall time."""
    METRICS.observe_ner(articles, words, seconds, in_flight)


def observe_decision(kind: str, indexed: int) -> None:
    """dedupe decided `kind` for one article; its index now holds `indexed` articles."""
    METRICS.observe_decision(kind, indexed)


def set_consumer_lag(lags: Mapping[tuple[str, int], int]) -> None:
    """Replace the consumer lag of this worker's partitions."""
    METRICS.set_consumer_lag(lags)


def snapshot() -> dict[str, Any]:
    """The dashboard's figures of this worker."""
    return METRICS.snapshot()


# --- feeds and the HTTP endpoint (issue 6): labelled by feed name, never by URL ---
FEED_FETCH_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class FeedMetrics:
    """Prometheus series of the live sources: feed polls and `POST /api/articles`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.polls = Counter(
            "newswire_feed_polls",
            "Feed polls by outcome (ok | not_modified | error).",
            ["feed", "outcome"],
            registry=r,
        )
        self.items = Counter(
            "newswire_feed_items", "Feed items published to news.raw.", ["feed"], registry=r
        )
        self.errors = Counter(
            "newswire_feed_errors", "Failed feed polls by reason.", ["feed", "reason"], registry=r
        )
        self.fetch_seconds = Histogram(
            "newswire_feed_fetch_seconds",
            "Time to fetch a feed (redirects included).",
            ["feed"],
            buckets=FEED_FETCH_BUCKETS,
            registry=r,
        )
        self.last_success = Gauge(
            "newswire_feed_last_success_timestamp_seconds",
            "When a poll of the feed last worked (Unix seconds).",
            ["feed"],
            registry=r,
        )
        self.newest_item = Gauge(
            "newswire_feed_newest_item_timestamp_seconds",
            "Publication time of the feed's newest item (freshness = time() - this).",
            ["feed"],
            registry=r,
        )
        self.ingest_records = Counter(
            "newswire_ingest_records",
            "Records POSTed to /api/articles, by outcome (accepted | rejected).",
            ["outcome"],
            registry=r,
        )


FEED_METRICS = FeedMetrics(REGISTRY)
# --- end of feeds and the HTTP endpoint ---
