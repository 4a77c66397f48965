"""`newswire bench enrich`: the pipeline with NER against bare spaCy on the same texts.

(a) bare `nlp.pipe` over the articles' NER texts with the workers' model, pipes, batch
size and number of processes; (b) one worker from news.raw to the store with enrich on,
working through a backlog of the same articles; then the latency received → stored at
half of (b)'s rate, an open-loop load for about a minute.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.bench.flow import backlog_rate
from pipeline.bench.ner_raw import raw_spacy_rate
from pipeline.bench.worker import BenchWorker, percentile
from pipeline.entities import ner_text
from pipeline.normalize import normalize_record
from pipeline.settings import Settings

__all__ = ["enrich_benchmark"]


def enrich_benchmark(
    settings: Settings, records: list[bytes], paced_records: list[bytes], paced_seconds: float
) -> list[str]:
    """Run (a), (b) and the latency run; the lines to print."""
    now = datetime.now(UTC)
    cleaned = [normalize_record(r, settings.cleaning, now) for r in records]
    texts = [ner_text(a.title, a.body)[: settings.ner_max_chars] for a in cleaned]
    model = settings.spacy_model or None
    processes, batch = settings.ner_processes, settings.ner_batch_size
    raw_articles, raw_words = raw_spacy_rate(texts, model, batch, processes)
    lines = [
        f"enrich: {len(records):,} articles, {processes} NER process(es), batch {batch}",
        f"  (a) bare spaCy nlp.pipe:             {raw_articles:8.1f} articles/s "
        f"({raw_words:,.0f} words/s)",
    ]
    with BenchWorker(settings) as worker:
        worker.start()
        rate = backlog_rate(worker, records)
        lines.append(f"  (b) pipeline news.raw → store:       {rate:8.1f} articles/s")
        lines.append(f"  (b)/(a):                             {rate / raw_articles:8.2f}")
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
