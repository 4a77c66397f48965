"""Versioned schema migrations, applied by the app when it opens the store.

`store_meta.schema_version` records the last migration applied; `migrate` applies the
later ones in order, in the caller's transaction. A lock taken first (PostgreSQL: an
advisory lock; SQLite: the write lock) makes stores that open together migrate one after
the other; DDL is transactional on both, so a failed migration leaves the previous version.

A list of small functions rather than Alembic: two backends, a handful of tables, and
migrations that must run inside the worker at open (not from a separate CLI step);
Alembic's environment, script directory and revision graph would outweigh them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import orjson
from sqlalchemy import Connection, insert, select, text, update

from pipeline.store.schema import article_entities, articles, store_meta

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "entity_keys",
    "lock_schema",
    "migrate",
]

# Any fixed 64-bit number; it names "newswire schema migration" among advisory locks.
_PG_LOCK_KEY: Final = 0x6E657773_77697265


@dataclass(frozen=True)
class Migration:
    """Schema version `version`: what it adds, and the function that applies it."""

    version: int
    what: str
    apply: Callable[[Connection], None]


def entity_keys(entities: Iterable[str]) -> list[str]:
    """The distinct lower-cased entity texts an article is found by (`?entity=`)."""
    return sorted({e.lower() for e in entities})


def _v1_articles(conn: Connection) -> None:
    articles.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        # The stream cursor's tie-breaker; an upsert (ON CONFLICT DO UPDATE) keeps it.
        conn.execute(
            text("ALTER TABLE articles ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY")
        )
        conn.execute(
            text("CREATE INDEX ix_articles_stored_at_rowid ON articles (stored_at, rowid)")
        )


def _v2_entity_index(conn: Connection) -> None:
    article_entities.create(conn, checkfirst=True)
    # Backfill from the records stored before this table existed.
    rows = [
        {"article_id": article_id, "entity": key}
        for article_id, record in conn.execute(select(articles.c.id, articles.c.record))
        for key in entity_keys(e["text"] for e in orjson.loads(record).get("entities") or [])
    ]
    if rows:
        conn.execute(insert(article_entities), rows)


MIGRATIONS: Final = (
    Migration(1, "articles, indexed by story, source, publication and store time", _v1_articles),
    Migration(
        2, "article_entities: the entity index of the API's ?entity= filter", _v2_entity_index
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version


def lock_schema(conn: Connection) -> None:
    """On PostgreSQL, wait for the schema lock until this transaction ends: two processes
    creating the same tables at once collide in the catalogue (a unique violation)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(text(f"pg_advisory_xact_lock({_PG_LOCK_KEY})")))


def migrate(conn: Connection) -> int:
    """Bring the schema to `SCHEMA_VERSION` in this transaction; returns the version found."""
    lock_schema(conn)
    if conn.dialect.name == "sqlite":
        # The database's write lock before the first look, so openers take turns
        # (busy_timeout makes the others wait for it).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    store_meta.create(conn, checkfirst=True)
    found = conn.scalar(select(store_meta.c.value).where(store_meta.c.key == "schema_version"))
    current = int(found or 0)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"the store's schema is version {current}, newer than this newswire "
            f"({SCHEMA_VERSION}): upgrade newswire rather than downgrade the store"
        )
    for migration in MIGRATIONS:
        if migration.version > current:
            migration.apply(conn)
    if found is None:
        conn.execute(insert(store_meta).values(key="schema_version", value=SCHEMA_VERSION))
    elif current < SCHEMA_VERSION:
        conn.execute(
            update(store_meta)
            .where(store_meta.c.key == "schema_version")
            .values(value=SCHEMA_VERSION)
        )
    return current
