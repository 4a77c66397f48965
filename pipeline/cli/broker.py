"""`newswire broker start|stop|status`: the local single-node Kafka broker (KRaft)."""

from __future__ import annotations

import click

from pipeline.broker import BrokerError, LocalBroker
from pipeline.cli import main, pass_settings
from pipeline.settings import Settings

__all__ = ["broker"]

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Exit status of `status` when no broker runs, as LSB init scripts and `systemctl status` use.
EXIT_NOT_RUNNING = 3


def _uses_local_broker(settings: Settings, local: LocalBroker) -> bool:
    """Whether NEWSWIRE_KAFKA_BOOTSTRAP points at this local broker (however the host is spelt)."""
    for server in settings.kafka_bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if host in _LOCAL_HOSTS and port == str(local.settings.port):
            return True
    return False


@main.group()
def broker() -> None:
    """Run a local single-node Apache Kafka broker (KRaft) for development and tests."""


@broker.command()
@click.option(
    "--timeout",
    type=float,
    default=90.0,
    show_default=True,
    help="Seconds to wait for the broker to answer.",
)
@pass_settings
def start(settings: Settings, timeout: float) -> None:
    """Fetch Kafka (first time only) and start the broker in the background."""
    local = LocalBroker(settings.broker)
    if not _uses_local_broker(settings, local):
        click.echo(
            f"warning: the pipeline is configured to use {settings.kafka_bootstrap} "
            f"(NEWSWIRE_KAFKA_BOOTSTRAP), not this broker; to use this one: "
            f"export NEWSWIRE_KAFKA_BOOTSTRAP={local.bootstrap}",
            err=True,
        )
    was_running = local.status().running
    try:
        local.start(timeout=timeout)
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    st = local.status()
    state = "already running" if was_running else "started"
    click.echo(f"Kafka {st.version} broker {state} at {st.bootstrap} (pid {st.pid})")
    click.echo(f"data dir: {st.data_dir}  (log: {local.log_file})")
    click.echo("stop it with: newswire broker stop")


@broker.command()
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for a clean shutdown before killing the broker.",
)
@pass_settings
def stop(settings: Settings, timeout: float) -> None:
    """Stop the broker (a no-op if it is not running)."""
    local = LocalBroker(settings.broker)
    pid = local.status().pid
    try:
        stopped = local.stop(timeout=timeout)
    except (BrokerError, OSError) as exc:
        raise click.ClickException(f"could not stop the broker (pid {pid}): {exc}") from exc
    if stopped:
        click.echo(f"stopped the Kafka broker at {local.bootstrap} (pid {pid})")
    else:
        click.echo(f"no Kafka broker was running at {local.bootstrap}")


@broker.command()
@pass_settings
@click.pass_context
def status(ctx: click.Context, settings: Settings) -> None:
    """Say whether the broker runs; exit status 0 if it does, 3 if not."""
    st = LocalBroker(settings.broker).status()
    if st.running:
        click.echo(f"running: Kafka {st.version} at {st.bootstrap} (pid {st.pid})")
        click.echo(f"data dir: {st.data_dir}")
    else:
        click.echo(f"not running: no Kafka broker for {st.data_dir} ({st.bootstrap})")
        ctx.exit(EXIT_NOT_RUNNING)
