"""The local broker for commands that need one: start it when the pipeline points at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from pipeline.broker import BrokerError, LocalBroker
from pipeline.settings import Settings

__all__ = ["local_broker"]


@contextmanager
def local_broker(settings: Settings) -> Iterator[None]:
    """Start the local broker if the settings point at it and it is not running; stop it after.

    A broker that was already running, or another cluster, is left alone.
    """
    broker = LocalBroker(settings.broker)
    if settings.kafka_bootstrap != broker.bootstrap or broker.status().running:
        yield
        return
    click.echo(f"starting the local Kafka broker on {broker.bootstrap} …", err=True)
    try:
        broker.start()
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield
    finally:
        broker.stop()
        click.echo("stopped the local Kafka broker", err=True)
