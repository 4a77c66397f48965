"""`newswire topics create` and `newswire schemas export`: one-off administration."""

from __future__ import annotations

import asyncio

import click

from pipeline.cli import main, pass_settings
from pipeline.settings import Settings

__all__ = ["schemas", "topics"]


@main.group()
def topics() -> None:
    """The pipeline's Kafka topics."""


@topics.command("create")
@pass_settings
def topics_create(settings: Settings) -> None:
    """Create the pipeline topics that do not exist yet."""
    from pipeline.topics_admin import create_pipeline_topics

    created = asyncio.run(create_pipeline_topics(settings))
    click.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@main.group()
def schemas() -> None:
    """The record contracts (JSON Schema files in schemas/)."""


@schemas.command("export")
def schemas_export() -> None:
    """Regenerate schemas/*.schema.json from the record models."""
    from schemas.jsonschema import export_schemas

    for path in export_schemas():
        click.echo(f"wrote {path}")
