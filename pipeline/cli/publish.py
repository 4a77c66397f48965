"""`newswire publish PATH…`: send article files to news.raw."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.broker import BrokerError, wait_for_broker
from pipeline.cli import main, pass_settings
from pipeline.publish import publish_articles
from pipeline.settings import Settings
from pipeline.sources.files import ParsedArticle, ParseFailure, read_articles
from pipeline.topology import RAW

__all__ = ["publish"]

# Fewer records than this print no progress bar: it would only flicker.
_PROGRESS_AFTER = 20


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--topic", help="Topic to publish to (default: news.raw with the topic prefix).")
@click.option("--source", help="Source name for records that carry none (default: file name).")
@pass_settings
def publish(
    settings: Settings, paths: tuple[Path, ...], topic: str | None, source: str | None
) -> None:
    """Send article files (seed .txt, .json, .jsonl, or directories of them) to news.raw.

    A record that cannot be parsed is reported as `file:line: reason: message` and
    skipped; the exit status is 1 if anything was rejected.
    """
    topic = topic or settings.topic_name(RAW)
    err = Console(stderr=True, highlight=False)
    progress = Progress(
        TextColumn("publishing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("publish", total=None, rate="")
    count = 0

    def on_sent(_: ParsedArticle) -> None:
        nonlocal count
        count += 1
        if count == _PROGRESS_AFTER:
            progress.start()
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = f"{count / elapsed:,.0f}/s" if elapsed > 0.5 else ""
        progress.update(task, advance=1, rate=rate)

    def on_rejected(failure: ParseFailure) -> None:
        err.print(str(failure), markup=False, soft_wrap=True)

    items = read_articles(paths, source=source)
    asyncio.run(wait_for_broker(settings.kafka_bootstrap, timeout=10))
    try:
        summary = asyncio.run(
            publish_articles(
                settings.kafka_bootstrap, topic, items, on_sent=on_sent, on_rejected=on_rejected
            )
        )
    except BrokerError:
        raise  # its message says what to do; the command group prints it as one line
    except Exception as exc:  # the broker is unreachable or refused: say so, in one line
        raise click.ClickException(
            f"could not publish to {settings.kafka_bootstrap} ({type(exc).__name__}: {exc}); "
            "is the broker running? (`newswire broker start`)"
        ) from exc
    finally:
        progress.stop()
    click.echo(f"{summary.line()} → {topic}")
    if not summary.ok:
        raise SystemExit(1)
