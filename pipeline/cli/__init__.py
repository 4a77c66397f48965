"""The `newswire` command line: one group, one module per command family."""

from __future__ import annotations

import os

import click

from pipeline.settings import Settings, load_settings

__all__ = ["main", "pass_settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--bootstrap-server",
    "kafka_bootstrap",
    metavar="HOST:PORT",
    help="Kafka bootstrap servers (env NEWSWIRE_KAFKA_BOOTSTRAP; default 127.0.0.1:9092).",
)
@click.pass_context
def main(ctx: click.Context, kafka_bootstrap: str | None) -> None:
    """newswire: streaming news ingestion on Kafka."""
    if kafka_bootstrap:
        # Child processes (a worker started by `demo`) and the app read the same setting.
        os.environ["NEWSWIRE_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    ctx.obj = load_settings()


pass_settings = click.make_pass_decorator(Settings)


def _register() -> None:
    # Imported here so each command module can import `main` and `pass_settings`.
    from pipeline.cli import admin, bench, broker, demo, feeds, publish, tail, worker  # noqa: F401


_register()
