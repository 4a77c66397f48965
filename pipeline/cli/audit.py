"""`newswire audit`: check that every article on news.raw reached the store or a dead letter."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from pipeline.cli import main, pass_settings
from pipeline.settings import Settings

__all__ = ["audit"]


@main.command("audit")
@click.option("--store-url", help="The store to check (default: the worker's, NEWSWIRE_STORE_URL).")
@click.option("--show", default=10, show_default=True, help="Missing records listed per hop.")
@pass_settings
def audit(settings: Settings, store_url: str | None, show: int) -> None:
    """Trace every news.raw record to each hop and the store; exit 1 if any is lost.

    Run it when the pipeline is idle (lag 0): a record still in flight counts as missing.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.audit import report_lines
    from pipeline.audit_inputs import run_audit

    url = store_url or settings.resolved_store_url
    path = Path(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite:///") and not path.exists():  # opening it would create it
        raise click.ClickException(f"no store at {path}: check --store-url or NEWSWIRE_DATA_DIR")
    try:
        report = asyncio.run(run_audit(settings, url))
    except LookupError as exc:
        raise click.ClickException(
            f"{exc}: is this the right pipeline (NEWSWIRE_TOPIC_PREFIX)?"
        ) from None
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"cannot read the store {url}: {exc}") from None
    for line in report_lines(report, show):
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)
