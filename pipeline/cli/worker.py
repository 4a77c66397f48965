"""`newswire worker`: run the agents and the web server (one Faust worker)."""

from __future__ import annotations

import asyncio
import os

import click

from pipeline.cli import main, pass_settings
from pipeline.settings import Settings

__all__ = ["worker"]


@main.command()
@click.option("--web-host", help="Address of the web server (env NEWSWIRE_WEB_HOST).")
@click.option("--web-port", type=int, help="Port of the web server (env NEWSWIRE_WEB_PORT).")
@click.option("--store-url", help="Table store URL (env NEWSWIRE_STORE_URL).")
@click.option("--log-level", help="Log level (env NEWSWIRE_LOG_LEVEL).")
@pass_settings
def worker(
    settings: Settings,
    web_host: str | None,
    web_port: int | None,
    store_url: str | None,
    log_level: str | None,
) -> None:
    """Run a worker: start several to share the partitions (one consumer group)."""
    # The app reads its settings once, at import: flags reach it through the environment.
    for name, value in {
        "WEB_HOST": web_host,
        "WEB_PORT": web_port,
        "STORE_URL": store_url,
        "LOG_LEVEL": log_level,
    }.items():
        if value is not None:
            os.environ[f"NEWSWIRE_{name}"] = str(value)
    from pipeline.topics_admin import create_pipeline_topics
    from pipeline.worker import run_worker

    for line in asyncio.run(create_pipeline_topics(settings)).lines():
        click.echo(f"topics: {line}", err=True)
    run_worker()
