"""`newswire topics …` and `newswire schemas export`: one-off administration."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import click

from pipeline.cli import main, pass_settings
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.topics_admin import TopicInfo

__all__ = ["format_topics", "schemas", "topics"]

_TIMEOUT = click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for the broker and each request.",
)


@main.group()
def topics() -> None:
    """The pipeline's Kafka topics: create, list, add partitions, delete."""


@topics.command("create")
@_TIMEOUT
@pass_settings
def topics_create(settings: Settings, timeout: float) -> None:
    """Create the missing pipeline topics; grow those with too few partitions."""
    from pipeline.topics_admin import create_pipeline_topics

    changes = asyncio.run(create_pipeline_topics(settings, timeout))
    click.echo("\n".join(changes.lines()) or "all topics exist")


@topics.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic, one a line.")
@_TIMEOUT
@pass_settings
def topics_list(settings: Settings, timeout: float, as_json: bool) -> None:
    """Each topic's partitions, records, retention and size settings."""
    from pipeline.topics_admin import describe_topics

    infos = asyncio.run(describe_topics(settings, timeout))
    if as_json:
        for info in infos:
            row = {
                "topic": info.name,
                "exists": info.exists,
                "partitions": info.partitions,
                "needed_partitions": info.needed,
                "records": info.records,
                "configs": info.configs,
            }
            click.echo(json.dumps(row))
        return
    click.echo(format_topics(infos))


def format_topics(infos: list[TopicInfo]) -> str:
    """A table: one row per topic, then what to do about a missing or too small one."""
    header = (
        "topic",
        "partitions",
        "records",
        "retention",
        "retention size",
        "segment",
        "max record",
    )
    rows = [header]
    advice: list[str] = []
    for info in infos:
        if not info.exists:
            rows.append((info.name, "missing", "", "", "", "", ""))
            advice.append(f"{info.name} is missing: `newswire topics create` creates it")
            continue
        parts = str(info.partitions)
        if info.needed is not None and info.partitions < info.needed:
            parts += f" (needs {info.needed})"
            advice.append(
                f"{info.name} has too few partitions: `newswire topics add-partitions` grows it"
            )
        c = info.configs
        rows.append(
            (
                info.name,
                parts,
                f"{info.records:,}",
                _duration(c.get("retention.ms")),
                _size(c.get("retention.bytes")),
                _size(c.get("segment.bytes")),
                _size(c.get("max.message.bytes")),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines + advice)


def _duration(ms: str | None) -> str:
    if ms is None:
        return "?"
    value = int(ms)
    if value < 0:
        return "forever"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if value >= size and value % size == 0:
            return f"{value // size} {unit}"
    return f"{value} ms"


def _size(n: str | None) -> str:
    if n is None:
        return "?"
    value = int(n)
    if value < 0:
        return "unlimited"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value} B"


@topics.command("add-partitions")
@_TIMEOUT
@pass_settings
def topics_add_partitions(settings: Settings, timeout: float) -> None:
    """Grow each pipeline topic to NEWSWIRE_PARTITIONS (news.enriched stays at 1).

    Kafka adds partitions but never removes them; records stay where they are, and keys
    produced afterwards may go to other partitions than before.
    """
    from pipeline.topics_admin import add_partitions

    grown = asyncio.run(add_partitions(settings, timeout))
    for g in grown:
        click.echo(f"grew {g}")
    if not grown:
        click.echo(f"every pipeline topic has the partitions it needs ({settings.partitions})")


@topics.command("delete")
@click.option("--yes", is_flag=True, help="Really delete them (there is no undo).")
@click.option("--force", is_flag=True, help="Delete them even while workers are running.")
@_TIMEOUT
@pass_settings
def topics_delete(settings: Settings, timeout: float, yes: bool, force: bool) -> None:
    """Delete the pipeline topics and the worker's own, with every record in them.

    For resetting a local setup. Refused while the workers' consumer group (NEWSWIRE_APP_ID)
    has members: stop the workers first, or add --force. The store is kept.
    """
    from pipeline.topics_admin import delete_pipeline_topics

    if not yes:
        raise click.ClickException(
            "this deletes the pipeline's topics and every record in them: "
            "add --yes to go ahead (stop the workers first)"
        )
    deleted = asyncio.run(delete_pipeline_topics(settings, timeout, force=force))
    if not deleted:
        click.echo("no pipeline topics to delete")
        return
    click.echo(f"deleted: {', '.join(deleted)}")
    click.echo(
        f"the store ({settings.resolved_store_url}) is kept; `newswire topics create` or a "
        "worker creates the topics again"
    )


@main.group()
def schemas() -> None:
    """The record contracts (JSON Schema files in schemas/)."""


@schemas.command("export")
def schemas_export() -> None:
    """Regenerate schemas/*.schema.json from the record models."""
    from schemas.jsonschema import export_schemas

    for path in export_schemas():
        click.echo(f"wrote {path}")
