"""The `newswire` command line: one group, one module per command family."""

from __future__ import annotations

import os
from typing import Any

import click
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from pipeline.broker import BrokerError
from pipeline.settings import Settings, load_settings

__all__ = ["OneLineErrors", "checked_settings", "main", "pass_settings"]


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


class OneLineErrors(click.Group):
    """A group whose commands fail with one line and exit status 1, never a traceback.

    Broker and Kafka problems are the user's to fix (start the broker, fix an address, a
    topic): their messages say how. Anything else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokerError as exc:
            raise click.ClickException(str(exc)) from None
        except KafkaError as exc:
            settings = ctx.find_object(Settings)
            where = settings.kafka_bootstrap if settings else "the broker"
            raise click.ClickException(
                f"Kafka at {where}: {exc}; check `newswire broker status` and "
                "NEWSWIRE_KAFKA_BOOTSTRAP"
            ) from None


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
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
