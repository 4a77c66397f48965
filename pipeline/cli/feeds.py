"""`newswire feeds …`: subscribe to RSS/Atom feeds, list and remove them, poll them standalone.

Subscriptions live in the store database (`NEWSWIRE_STORE_URL`), so the worker (which
polls them unless `NEWSWIRE_FEEDS_ENABLED=false`) and these commands see the same list.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from rich.console import Console
from rich.table import Table

from pipeline.cli import main, pass_settings
from pipeline.cli.bench import bench
from pipeline.feeds.feedlist import FeedListError, default_name, read_opml
from pipeline.feeds.registry import FeedRegistry
from pipeline.feeds.schedule import parse_interval
from pipeline.settings import Settings
from pipeline.topology import RAW

__all__ = ["feeds"]

T = TypeVar("T")


def _with_registry(settings: Settings, work: Callable[[FeedRegistry], Awaitable[T]]) -> T:
    async def run() -> T:
        registry = await FeedRegistry.open(settings.resolved_store_url)
        try:
            return await work(registry)
        finally:
            await registry.close()

    return asyncio.run(run())


def _interval(settings: Settings, text: str | None) -> float:
    try:
        return parse_interval(text or settings.feeds_interval)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--interval") from None


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"not an http(s) URL: {url!r}", param_hint="URL")


@main.group()
def feeds() -> None:
    """RSS/Atom subscriptions: new items go to news.raw with their page's text."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Name shown on the dashboard and in records' `source`.")
@click.option("--interval", help="Poll interval, e.g. 90s, 5m, 1h (env NEWSWIRE_FEEDS_INTERVAL).")
@pass_settings
def feeds_add(settings: Settings, url: str, name: str | None, interval: str | None) -> None:
    """Subscribe to the feed at URL (again: update its name and interval)."""
    _check_url(url)
    seconds = _interval(settings, interval)
    sub, created = _with_registry(
        settings,
        lambda r: r.add(url, name or default_name(url), seconds, keep_interval=interval is None),
    )
    verb = "subscribed" if created else "updated"
    click.echo(f"{verb}: {sub.name} ({sub.url}), every {sub.interval_seconds:g} s")


@feeds.command("list")
@pass_settings
def feeds_list(settings: Settings) -> None:
    """The subscribed feeds and their poll state."""
    subs = _with_registry(settings, lambda r: r.subscriptions())
    if not subs:
        click.echo("no feeds: add one with `newswire feeds add URL`")
        return
    table = Table("name", "url", "interval", "failures", "next poll", "last error")
    now = time.time()
    for s in subs:
        due = "due" if s.next_poll_at <= now else f"in {s.next_poll_at - now:.0f} s"
        table.add_row(
            s.name, s.url, f"{s.interval_seconds:g} s", str(s.failures), due, s.last_error or ""
        )
    Console().print(table)


@feeds.command("remove")
@click.argument("url_or_name")
@pass_settings
def feeds_remove(settings: Settings, url_or_name: str) -> None:
    """Unsubscribe the feed with this URL or name."""
    gone = _with_registry(settings, lambda r: r.remove(url_or_name))
    if not gone:
        raise click.ClickException(f"no feed with URL or name {url_or_name!r}")
    click.echo(f"removed {gone} feed{'s' if gone > 1 else ''}")


@feeds.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--interval", help="Poll interval of the imported feeds.")
@pass_settings
def feeds_import(settings: Settings, opml: Path, interval: str | None) -> None:
    """Subscribe to every feed of an OPML file."""
    seconds = _interval(settings, interval)
    try:
        entries = read_opml(opml)
    except FeedListError as exc:
        raise click.ClickException(str(exc)) from None

    async def add_all(registry: FeedRegistry) -> int:
        created = 0
        for e in entries:
            created += (await registry.add(e.url, e.name, e.interval_seconds or seconds))[1]
        return created

    created = _with_registry(settings, add_all)
    click.echo(f"imported {len(entries)} feeds from {opml} ({created} new)")


@feeds.command("run")
@pass_settings
def feeds_run(settings: Settings) -> None:
    """Poll the subscribed feeds into news.raw without a worker, until Ctrl-C.

    Ctrl-C (or SIGTERM) stops it cleanly, exit status 0 as `newswire worker` and `tail`: a
    poll in flight is given up before it publishes, or finished once it has begun to, so
    everything published is remembered as seen and nothing is published twice. A second
    Ctrl-C stops at once (exit status 130); unpublished items are fetched again next time.
    """
    from pipeline.feeds.service import Sources
    from pipeline.topics_admin import create_pipeline_topics

    raw = settings.topic_name(RAW)

    async def run() -> int:
        sources = Sources(settings)
        main_task = asyncio.current_task()
        assert main_task is not None
        loop = asyncio.get_running_loop()
        stopping = False

        def on_signal() -> None:
            nonlocal stopping
            if stopping:
                click.echo("stopped at once: items not yet published are polled again", err=True)
                os._exit(130)
            stopping = True
            main_task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        try:
            # news.raw must exist (no broker of ours makes it on request): made as a worker does.
            for line in (await create_pipeline_topics(settings)).lines():
                click.echo(f"topics: {line}", err=True)
            await sources.start(poll=True)
            click.echo(f"polling feeds into {raw}; Ctrl-C stops", err=True)
            await sources.run()
        except asyncio.CancelledError:
            if not stopping:
                raise
            main_task.uncancel()
        finally:
            await sources.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        return sources.published

    published = asyncio.run(run())
    click.echo(
        f"stopped: {published} article{'' if published == 1 else 's'} published to {raw} "
        "in this run",
        err=True,
    )


@bench.command("feeds")
@click.option("--feeds", "feed_count", default=200, show_default=True, help="Local feeds.")
@click.option("--items", default=50, show_default=True, help="Items per feed.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Folder with news_fixtures/ (env NEWSWIRE_BENCH_DATA_DIR).",
)
@click.option("--quality-only", is_flag=True, help="Only the extraction quality (no broker).")
@pass_settings
def bench_feeds(
    settings: Settings, feed_count: int, items: int, data_dir: Path | None, quality_only: bool
) -> None:
    """Feed polling items/s into news.raw, and extraction quality on the 81 real pages."""
    from pipeline.bench.feeds import extraction_quality, feed_throughput, load_pages
    from pipeline.cli.local import local_broker

    pages = load_pages(data_dir or settings.bench_data_dir)
    q = extraction_quality(pages)
    click.echo(f"extraction quality on {q.pages} real pages (trafilatura):")
    click.echo(f"  token F1 of the body: mean {q.mean_f1:.3f}, median {q.median_f1:.3f}")
    click.echo(f"  title right: {q.title_accuracy:.1%}   date right: {q.date_accuracy:.1%}")
    click.echo(f"  pages with no text extracted: {q.no_text}")
    click.echo(
        f"  CPU per page (extraction and scoring, one process): "
        f"{1000 * q.cpu_seconds_per_page:.0f} ms"
    )
    if quality_only:
        return
    with local_broker(settings):
        r = asyncio.run(feed_throughput(settings, pages, feed_count, items))
    click.echo(
        f"throughput: {r.feeds} feeds x {items} items, {r.items:,} items into news.raw "
        f"in {r.seconds:.1f} s, broker {settings.kafka_bootstrap}"
    )
    click.echo(f"  {r.items_per_second:,.1f} items/s (fetch + parse + extraction + publish)")
    click.echo(
        f"  extraction: {r.extract_seconds:.1f} s in {r.processes} process(es) = "
        f"{r.extraction_share:.0%} of the run; "
        f"{1000 * r.extract_seconds / max(1, r.items):.0f} ms per page"
    )
