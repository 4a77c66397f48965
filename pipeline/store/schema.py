"""The store's tables, shared by both backends and by the API's queries.

The full output record is kept as JSON text beside the columns queries filter on, so a new
optional field in `Article` needs no migration; a new filter column does (`migrations.py`).
Rows are ordered for streams by (`stored_at`, `rowid`): SQLite's own rowid, and on
PostgreSQL an identity column of that name that migrations add (so it is not in `articles`
here and inserts never set it).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

__all__ = ["article_entities", "articles", "metadata", "store_meta"]

metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("source", Text),
    Column("published_at", String(32)),
    Column("language", String(16)),
    Column("kind", String(16)),
    Column("story_id", String(64)),
    Column("received_at", Float),
    Column("stored_at", Float, nullable=False),
    Column("record", Text, nullable=False),
    Index("ix_articles_story_id", "story_id"),
    Index("ix_articles_source", "source"),
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_stored_at", "stored_at"),
)

# The API's `?entity=` filter: one row per (article, canonical entity text, lower-cased).
article_entities = Table(
    "article_entities",
    metadata,
    Column("article_id", String(64), primary_key=True),
    Column("entity", Text, primary_key=True),
    Index("ix_article_entities_entity", "entity"),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
