"""`newswire tail`: print what arrives on news.articles (or another topic)."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import click
import orjson

from pipeline.cli import main, pass_settings
from pipeline.settings import Settings
from pipeline.tail import format_record, tail_topic
from pipeline.topology import ARTICLES

__all__ = ["tail"]


@main.command()
@click.option("--topic", help="Topic to read (default: news.articles with the topic prefix).")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record, not the newest.")
@click.option("--json", "as_json", is_flag=True, help="Print each record as raw JSON, one a line.")
@click.option("-n", "--max-records", type=int, help="Stop after this many records.")
@click.option("--idle-timeout", type=float, help="Stop after this many seconds with no record.")
@pass_settings
def tail(
    settings: Settings,
    topic: str | None,
    from_beginning: bool,
    as_json: bool,
    max_records: int | None,
    idle_timeout: float | None,
) -> None:
    """Print processed articles as they arrive, one readable line each."""
    topic = topic or settings.topic_name(ARTICLES)

    def emit(value: bytes) -> None:
        if as_json:
            line = value.decode("utf-8", "replace")
        else:
            try:
                line = format_record(orjson.loads(value))
            except (orjson.JSONDecodeError, TypeError):
                line = f"(not JSON, {len(value)} bytes)"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            tail_topic(
                settings.kafka_bootstrap,
                topic,
                emit,
                from_beginning=from_beginning,
                max_records=max_records,
                idle_timeout=idle_timeout,
            )
        )
