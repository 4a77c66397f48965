"""`newswire bench enrich`: the pipeline with NER against bare spaCy on the same texts.

(a) bare `nlp.pipe` over the articles' NER texts with the workers' model, pipes, batch
size and number of processes; (b) one worker from news.raw to the store with enrich on,
working through a backlog of the same articles; then the latency received → stored at
half of (b)'s rate, an open-loop load for about a minute. (a) runs before and after (b)
and (b) is divided by their mean: on a shared virtual machine the same CPU work takes
±12 % from one minute to the next, and one (a) taken before (b) would carry that drift
into the ratio. (c) is what the pool's processes can do, from one process's rate of
`tag_batch` (NER) and of `finish_batch` (canonical entities, place corrections, the
story sketch: in finishing processes of their own, or in the NER processes), timed here
without Kafka: (c)/(a) is the ceiling of (b)/(a). While (b) saturates NER, a thread asks
the worker's `GET /api/stats` four times a second and times each answer: the web UI must
stay responsive under load.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

from pipeline.bench.flow import backlog_rate
from pipeline.bench.ner_raw import pool_work_rates, raw_spacy_rate, work_ceiling
from pipeline.bench.worker import BenchWorker, percentile
from pipeline.dedupe import dedupe_settings
from pipeline.entities import ner_text
from pipeline.ner import NerRequest
from pipeline.normalize import normalize_record
from pipeline.settings import Settings

__all__ = ["StatsProbe", "enrich_benchmark"]


class StatsProbe:
    """Times `GET url` every `interval` seconds in a thread, between `with` enter and exit."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        self.url, self.interval = url, interval
        self.seconds: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    response.read()
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                self.failures += 1  # the web server is not up yet, or did not answer
                continue
            self.seconds.append(time.perf_counter() - started)

    def __enter__(self) -> StatsProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def line(self) -> str:
        s = self.seconds
        if not s:
            return "  GET /api/stats under NER load: no answer"
        return (
            f"  GET /api/stats under NER load ({len(s)} requests): p50 "
            f"{percentile(s, 50) * 1000:.0f} ms, p99 {percentile(s, 99) * 1000:.0f} ms, "
            f"max {max(s) * 1000:.0f} ms"
        )


def enrich_benchmark(
    settings: Settings, records: list[bytes], paced_records: list[bytes], paced_seconds: float
) -> list[str]:
    """Run (a), (b) and the latency run; the lines to print."""
    now = datetime.now(UTC)
    cleaned = [normalize_record(r, settings.cleaning, now) for r in records]
    texts = [ner_text(a.title, a.body)[: settings.ner_max_chars] for a in cleaned]
    model = settings.spacy_model or None
    processes, batch = settings.ner_processes, settings.ner_batch_size
    before, words = raw_spacy_rate(texts, model, batch, processes)
    requests = [NerRequest(a.id, a.title, a.body, a.published_at) for a in cleaned]
    sketching = dedupe_settings(settings) if settings.dedupe_enabled else None
    tagging, finishing = pool_work_rates(requests, model, settings.ner_max_chars, batch, sketching)
    finishers = settings.ner_finish_processes
    ceiling = work_ceiling(tagging, finishing, processes, finishers)
    lines = [
        f"enrich: {len(records):,} articles, {processes} NER process(es), "
        f"{finishers} finishing process(es), batch {batch}"
    ]
    with BenchWorker(settings) as worker:
        worker.start()
        stats_url = f"http://127.0.0.1:{worker.env['NEWSWIRE_WEB_PORT']}/api/stats"
        with StatsProbe(stats_url) as probe:
            rate = backlog_rate(worker, records)
        after, _ = raw_spacy_rate(texts, model, batch, processes)
        raw_articles = (before + after) / 2
        lines += [
            f"  (a) bare spaCy nlp.pipe:             {raw_articles:8.1f} articles/s "
            f"({words * raw_articles / before:,.0f} words/s; before (b) {before:.1f}, "
            f"after {after:.1f})",
            f"  (c) the pool's work, alone:          {ceiling:8.1f} articles/s "
            f"(here: tag_batch {tagging:.1f}/s × {processes}, finish_batch {finishing:.1f}/s "
            f"× {finishers or 'in the NER processes'}; (c)/(a) {ceiling / raw_articles:.2f})",
            f"  (b) pipeline news.raw → store:       {rate:8.1f} articles/s",
            probe.line(),
            f"  (b)/(a):                             {rate / raw_articles:8.2f}",
        ]
        offered = rate / 2
        count = min(len(paced_records), max(20, int(offered * paced_seconds)))
        start = worker.publish_paced(paced_records[:count], offered)
        worker.wait_stored(len(records) + count, timeout=paced_seconds * 10 + 300)
        latencies = worker.latencies(since=start)
        lines.append(
            f"  latency at {offered:.1f} articles/s ({count} articles): "
            f"p50 {percentile(latencies, 50):.2f} s, p99 {percentile(latencies, 99):.2f} s"
        )
    return lines
