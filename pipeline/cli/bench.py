"""`newswire bench …`: benchmarks that print their numbers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from pipeline.cli import main, pass_settings
from pipeline.cli.local import local_broker
from pipeline.settings import Settings

__all__ = ["bench"]


_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Folder with the real news corpora (env NEWSWIRE_BENCH_DATA_DIR).",
)


@main.group()
def bench() -> None:
    """Measure throughput on real news (prints numbers; changes nothing)."""


@bench.command("flow")
@click.option("--count", default=10_000, show_default=True, help="Articles to push through.")
@_data_dir_option
@pass_settings
def bench_flow(settings: Settings, count: int, data_dir: Path | None) -> None:
    """The non-NLP path's articles/s (NER off), and a bare aiokafka loop on the same records."""
    from pipeline.bench.corpus import cycled_raw_records, load_corpus
    from pipeline.bench.flow import backlog_rate, bare_chain_rate, bare_loop_rate
    from pipeline.bench.worker import BenchWorker

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    records = list(cycled_raw_records(articles, count))
    with local_broker(settings):
        click.echo(
            f"flow: {count:,} articles ({len(articles):,} real articles cycled from {origin}), "
            f"{settings.partitions} partitions, broker {settings.kafka_bootstrap}"
        )
        bare = asyncio.run(bare_loop_rate(settings.kafka_bootstrap, records, settings.partitions))
        click.echo(f"  bare aiokafka consume→produce loop: {bare:10,.0f} articles/s")
        chain = asyncio.run(bare_chain_rate(settings.kafka_bootstrap, records, settings.partitions))
        click.echo(f"  bare loops chained 3 hops + sink:   {chain:10,.0f} articles/s")
        with BenchWorker(settings, NEWSWIRE_NER_ENABLED="false") as worker:
            worker.start()
            flow = backlog_rate(worker, records)
        click.echo(f"  newswire raw→store, NER off, 1 worker: {flow:7,.0f} articles/s")
        click.echo(f"  ratio pipeline / bare loop:          {flow / bare:10.2f}")
        click.echo(f"  ratio bare chain / bare loop:        {chain / bare:10.2f}  (ceiling)")
        click.echo(f"  ratio pipeline / bare chain:         {flow / chain:10.2f}")


@bench.command("enrich")
@click.option("--count", default=2_000, show_default=True, help="Articles in the backlog.")
@click.option("--latency-seconds", default=60.0, show_default=True, help="Length of the paced run.")
@_data_dir_option
@pass_settings
def bench_enrich(
    settings: Settings, count: int, latency_seconds: float, data_dir: Path | None
) -> None:
    """Pipeline articles/s with NER against bare spaCy, and latency at half that load."""
    from pipeline.bench.corpus import cycled_raw_records, load_corpus
    from pipeline.bench.enrich import enrich_benchmark

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    records = list(cycled_raw_records(articles, count * 2))
    with local_broker(settings):
        click.echo(f"corpus: {len(articles):,} real articles from {origin}, cycled")
        for line in enrich_benchmark(settings, records[:count], records[count:], latency_seconds):
            click.echo(line)
