"""`newswire replay`: re-run the pipeline from news.raw into a fresh output and store."""

from __future__ import annotations

import asyncio
import os
import time

import click
from rich.progress import Progress

from pipeline.cli import checked_settings, main, pass_settings
from pipeline.replay import copy_topic, replay_names
from pipeline.settings import Settings
from pipeline.topology import ARTICLES, RAW

__all__ = ["replay"]


@main.command()
@click.option(
    "--from-beginning",
    is_flag=True,
    required=True,
    help="Replay news.raw from its earliest retained record (the only mode).",
)
@click.option("--name", help="Name of the replay (default replay-YYYYmmdd-HHMMSS).")
@click.option("--dedupe-threshold", type=float, help="Story similarity to join a story.")
@click.option("--duplicate-jaccard", type=float, help="Shingle Jaccard that makes a copy.")
@click.option("--horizon", type=float, help="Days an article stays in the story index.")
@click.option("--web-port", type=int, help="Port of the replay worker's web server.")
@pass_settings
def replay(
    settings: Settings,
    from_beginning: bool,
    name: str | None,
    dedupe_threshold: float | None,
    duplicate_jaccard: float | None,
    horizon: float | None,
    web_port: int | None,
) -> None:
    """Copy news.raw into a new set of topics and run a worker over it (Ctrl-C stops it).

    The live pipeline is untouched: the replay has its own topics (prefix NAME.), consumer
    group, story index and SQLite store (DATA_DIR/NAME.db); its output records carry the
    same `algo_version` field, so two runs can be compared article by article.
    """
    name = name or time.strftime("replay-%Y%m%d-%H%M%S")
    names = replay_names(name, settings.topic_prefix, settings.app_id, str(settings.data_dir))
    overrides = {
        "NEWSWIRE_DEDUPE_STORY_THRESHOLD": dedupe_threshold,
        "NEWSWIRE_DEDUPE_DUPLICATE_JACCARD": duplicate_jaccard,
        "NEWSWIRE_DEDUPE_HORIZON": horizon,
        "NEWSWIRE_WEB_PORT": web_port,
    }
    os.environ.update(names)
    os.environ.update({k: str(v) for k, v in overrides.items() if v is not None})
    from pipeline.topics_admin import create_pipeline_topics

    replayed = checked_settings()  # validates the overrides; a bad value stops here
    asyncio.run(create_pipeline_topics(replayed))
    source, sink = settings.topic_name(RAW), replayed.topic_name(RAW)
    with Progress(transient=True) as bar:
        task = bar.add_task(f"copying {source}", total=None)
        copied = asyncio.run(
            copy_topic(
                settings.kafka_bootstrap,
                source,
                sink,
                max_request_size=settings.max_message_bytes,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        )
    click.echo(
        f"replay {name}: {copied:,} records copied {source} → {sink}\n"
        f"  dedupe:       story threshold {replayed.dedupe_story_threshold}, copy Jaccard "
        f"{replayed.dedupe_duplicate_jaccard}, horizon {replayed.dedupe_horizon:g} days\n"
        f"  output topic: {replayed.topic_name(ARTICLES)}  (newswire tail --topic …)\n"
        f"  store:        {replayed.resolved_store_url}\n"
        f"  web:          http://{replayed.web_host}:{replayed.web_port}/\n"
        "  Ctrl-C stops the replay worker; its topics and store stay for comparison."
    )
    from pipeline.worker import run_worker

    run_worker()
