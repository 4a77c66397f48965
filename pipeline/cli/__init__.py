"""The `newswire` command line: one group, one module per command family."""

from __future__ import annotations

import os

import click
from pydantic import ValidationError

from pipeline.settings import Settings, load_settings

__all__ = ["checked_settings", "main", "pass_settings"]


def checked_settings() -> Settings:
    """The settings, or a usage error naming each bad NEWSWIRE_* value and what is wrong."""
    try:
        return load_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"NEWSWIRE_{'_'.join(map(str, e['loc'])).upper()}={e['input']!r}: {e['msg']}"
            for e in exc.errors()
        )
        raise click.UsageError(f"bad setting: {problems}") from None


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
    ctx.obj = checked_settings()


pass_settings = click.make_pass_decorator(Settings)


def _register() -> None:
    # Imported here so each command module can import `main` and `pass_settings`.
    from pipeline.cli import (  # noqa: F401
        admin,
        audit,
        bench,
        broker,
        demo,
        feeds,
        publish,
        replay,
        tail,
        worker,
    )


_register()
