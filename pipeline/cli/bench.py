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
    """The non-NLP path's articles/s (NER and dedupe off) against a bare aiokafka loop."""
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
        env = {"NEWSWIRE_NER_ENABLED": "false", "NEWSWIRE_DEDUPE_ENABLED": "false"}
        with BenchWorker(settings, **env) as worker:
            worker.start()
            flow = backlog_rate(worker, records)
        click.echo(f"  newswire raw→store, NER and dedupe off: {flow:7,.0f} articles/s")
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
    from pipeline.bench.corpus import backlog_and_paced, load_corpus
    from pipeline.bench.enrich import enrich_benchmark

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    backlog, paced = backlog_and_paced(articles, count)
    with local_broker(settings):
        click.echo(f"corpus: {len(articles):,} real articles from {origin}, cycled")
        for line in enrich_benchmark(settings, backlog, paced, latency_seconds):
            click.echo(line)


@bench.command("dedupe")
@click.option(
    "--count", default=100_000, show_default=True, help="Articles in the scale stream (0: skip)."
)
@click.option(
    "--shuffles",
    default=32,
    show_default=True,
    help="Orders each held-out ECB+ fold is streamed in (mean and sd of F1).",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    help="Cross-validation folds, by topic, of the ECB+ same-story streams.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    help="First seed of the held-out orders (training orders: 1000 on); another seed set "
    "shows how much a fold's verdict owes to the orders drawn.",
)
@click.option(
    "--seed-sets",
    default=1,
    show_default=True,
    help="Run the cross-validation under this many seed sets and pool each fold's "
    "difference to the baseline over all of them (about a minute a set).",
)
@_data_dir_option
@pass_settings
def bench_dedupe(
    settings: Settings,
    count: int,
    shuffles: int,
    folds: int,
    seed: int,
    seed_sets: int,
    data_dir: Path | None,
) -> None:
    """Story decisions on labelled real news: cross-validated pair P/R/F1 against the
    baseline, near-copies, decision time, state bytes.

    Settings come from NEWSWIRE_DEDUPE_*; the story threshold (ours and the baseline's) is
    chosen on the training folds of each fold.
    """
    from pipeline.bench.dedupe import run_dedupe_benchmark
    from pipeline.dedupe import dedupe_settings

    report = run_dedupe_benchmark(
        data_dir or settings.bench_data_dir,
        settings.cache_dir / "bench",
        settings=dedupe_settings(settings),
        scale_count=count,
        shuffles=max(1, shuffles),
        folds=max(2, folds),
        seed=seed,
        seed_sets=max(1, seed_sets),
        progress=lambda step: click.echo(f"… {step}", err=True),
    )
    for line in report.lines():
        click.echo(line)


@bench.command("minhash")
@_data_dir_option
@pass_settings
def bench_minhash(settings: Settings, data_dir: Path | None) -> None:
    """rensa against datasketch on real articles and derived copies (needs the bench extra)."""
    from pipeline.bench.corpus import load_corpus
    from pipeline.bench.minhash import compare_minhash

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    click.echo(f"minhash: {len(articles):,} real articles from {origin}, each with a derived copy")
    try:
        scores = compare_minhash(articles)
    except ImportError as exc:
        raise click.ClickException(f"{exc}: pip install -e '.[bench]'") from None
    for score in scores:
        click.echo(score.line())


@bench.command("scale")
@click.option("--count", default=10_000, show_default=True, help="Articles in the backlog.")
@click.option(
    "--store",
    "stores",
    type=click.Choice(["sqlite", "postgresql"]),
    multiple=True,
    help="Store(s) to run against (repeatable; default: both).",
)
@click.option(
    "--postgres-url",
    help="A PostgreSQL server to create the runs' databases on "
    "(default: start a throw-away local one; needs Debian's postgresql).",
)
@click.option(
    "--latency-rate",
    type=float,
    help="Paced load, articles/s (default: half the store's 1-worker rate, for both counts).",
)
@click.option("--latency-seconds", default=15.0, show_default=True, help="Length of the paced run.")
@_data_dir_option
@pass_settings
def bench_scale(
    settings: Settings,
    count: int,
    stores: tuple[str, ...],
    postgres_url: str | None,
    latency_rate: float | None,
    latency_seconds: float,
    data_dir: Path | None,
) -> None:
    """The non-NLP path with 1 and 2 workers: articles/s, the ratio, p99 publish→stored."""
    import contextlib
    import os
    import tempfile

    from pipeline.bench.corpus import backlog_and_paced, load_corpus
    from pipeline.bench.scale import local_postgres, scale_run

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    backlog, spare = backlog_and_paced(articles, count)
    stores = stores or ("sqlite", "postgresql")
    with local_broker(settings), contextlib.ExitStack() as stack:
        if "postgresql" in stores and not postgres_url:
            postgres_url = stack.enter_context(local_postgres())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="newswire-")))
        click.echo(
            f"scale: {count:,} articles ({len(articles):,} real articles cycled from {origin}), "
            f"NER off, {settings.partitions} partitions, {os.cpu_count()} cores, "
            f"broker {settings.kafka_bootstrap}; latency over {latency_seconds:g} s of paced load"
        )
        for store in stores:
            rates: dict[int, float] = {}
            rate = latency_rate
            for workers in (1, 2):
                result = scale_run(
                    settings,
                    store,
                    workers,
                    backlog,
                    spare,
                    rate,
                    latency_seconds,
                    workdir,
                    postgres_url,
                )
                rates[workers] = result.rate
                rate = result.paced_rate  # the same offered load for 2 workers
                click.echo(
                    f"  {store:<10} {workers} worker{'s' if workers > 1 else ' '}: "
                    f"{result.rate:7,.0f} articles/s; at {result.paced_rate:,.0f} articles/s "
                    f"publish→stored p50 {result.p50:.3f} s, p99 {result.p99:.3f} s"
                )
            click.echo(f"  {store:<10} 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")


@bench.command("faults")
@click.option("--rounds", default=30, show_default=True, help="Rounds, cycling through --path.")
@click.option("--count", default=5_000, show_default=True, help="Articles per round.")
@click.option(
    "--path",
    "paths",
    type=click.Choice(["kill", "rebalance", "broker", "store", "poison"]),
    multiple=True,
    help="Fault paths to cycle through (repeatable; default: kill, rebalance, kill, broker, "
    "store, poison).",
)
@click.option("--outage", default=10.0, show_default=True, help="Seconds the broker is down.")
@click.option(
    "--rate", default=500.0, show_default=True, help="Articles/s published during a fault."
)
@click.option(
    "--keep-logs", is_flag=True, help="Keep every round's worker logs, not just failed ones."
)
@_data_dir_option
@pass_settings
def bench_faults(
    settings: Settings,
    rounds: int,
    count: int,
    paths: tuple[str, ...],
    outage: float,
    rate: float,
    keep_logs: bool,
    data_dir: Path | None,
) -> None:
    """Soak every fault path on a real broker and PostgreSQL; audits each round for loss.

    Prints per round: the path, lost and duplicate rows, redelivered copies and the raw
    partition@offset of the first lost records; exits 1 if any round lost a record.
    """
    import shutil
    import signal
    import sys
    import tempfile
    from collections import Counter

    from pipeline.bench.corpus import cycled_raw_records, load_corpus
    from pipeline.bench.faults import PATHS, fault_rounds

    articles, origin = load_corpus(data_dir or settings.bench_data_dir)
    records = list(cycled_raw_records(articles, count))
    workdir = Path(tempfile.mkdtemp(prefix="newswire-soak-"))
    click.echo(
        f"faults: {rounds} rounds of {count:,} articles ({len(articles):,} real articles cycled "
        f"from {origin}), {settings.partitions} partitions; logs under {workdir}"
    )
    # A stopped soak still stops its broker, PostgreSQL and workers (SIGTERM unwinds).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    lost_rounds = 0
    per_path: Counter[str] = Counter()
    for result in fault_rounds(
        settings,
        rounds,
        lambda _: records,
        paths=paths or PATHS,
        outage=outage,
        rate=rate,
        workdir=workdir,
    ):
        per_path[result.path] += 1
        bad = result.lost or result.duplicate_rows
        lost_rounds += bool(bad)
        click.echo(
            f"  round {result.number + 1:>3} {result.path:<9} stored {result.stored:>6,} of "
            f"{result.published:,}  lost {result.lost:>4}  "
            f"duplicate rows {result.duplicate_rows:>3}"
            f"  redelivered {result.redelivered:>5,}  {result.seconds:5.0f} s"
            + (f"  first lost: {', '.join(result.first_lost)}" if result.lost else "")
        )
        if not bad and not keep_logs:
            shutil.rmtree(result.logs, ignore_errors=True)
    done = ", ".join(f"{path} {n}" for path, n in per_path.items())
    click.echo(f"rounds: {sum(per_path.values())} ({done}); rounds with loss: {lost_rounds}")
    if lost_rounds:
        raise SystemExit(1)
