"""`newswire demo`: a local broker, a worker with its web server, and the sample news, at once."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

import click

from pipeline.cli import main, pass_settings
from pipeline.cli.local import local_broker
from pipeline.processes import stop_process
from pipeline.publish import publish_articles
from pipeline.settings import Settings
from pipeline.sources.files import SAMPLE_NEWS_DIR, read_articles
from pipeline.topics_admin import create_pipeline_topics
from pipeline.topology import RAW

__all__ = ["demo"]


def _wait_for_web(url: str, worker: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise click.ClickException(f"the worker exited with status {worker.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            # Wait a little for the worker to exit (an error) before asking the web again.
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=0.25)
    raise click.ClickException(f"the worker's web server did not answer at {url} in {timeout:.0f}s")


@main.command()
@pass_settings
def demo(settings: Settings) -> None:
    """Run everything locally and feed it the bundled sample news; Ctrl-C stops it all."""
    with local_broker(settings):
        for line in asyncio.run(create_pipeline_topics(settings)).lines():
            click.echo(f"topics: {line}")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = settings.data_dir / "worker.log"
        with log_path.open("ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker"], stdout=log, stderr=log
            )
        click.echo(f"started the worker (log: {log_path}) …")
        web = f"http://{settings.web_host}:{settings.web_port}/"
        try:
            _wait_for_web(web, worker, timeout=120)
            raw = settings.topic_name(RAW)
            sample = read_articles([SAMPLE_NEWS_DIR])
            summary = asyncio.run(publish_articles(settings.kafka_bootstrap, raw, sample))
            click.echo(
                f"\nnewswire is running.\n"
                f"  sample news:  {summary.line()} → {raw}\n"
                f"  web UI:       {web}\n"
                f"  output:       .venv/bin/newswire tail --from-beginning\n"
                f"  store:        {settings.resolved_store_url}\n"
                f"  worker log:   {log_path}\n"
                f"  stop:         Ctrl-C\n"
            )
            worker.wait()
        except KeyboardInterrupt:
            click.echo("\nstopping …", err=True)
        finally:
            stop_process(worker)
