"""`ArticleStore` on SQLAlchemy Core (async): SQLite via aiosqlite today, PostgreSQL later.

The full output record is kept as JSON beside the columns the queries filter on, so a new
optional field in `Article` needs no migration; a new filter column does (see MIGRATIONS).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from schemas.article import Article

__all__ = ["SCHEMA_VERSION", "SqlArticleStore", "open_store"]

SCHEMA_VERSION = 1

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

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

# A re-delivered or re-published article replaces its row (so `received_at` moves on).
_UPDATED = tuple(c.name for c in articles.columns if c.name != "id")


def _async_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    raise ValueError(f"unsupported store URL {url!r}: expected sqlite:///PATH")


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    # WAL lets the API read while the store agent writes; NORMAL is durable across app crashes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _row(article: Article, stored_at: float) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published_at": article.published_at,
        "language": article.language,
        "kind": article.kind,
        "story_id": article.story_id,
        "received_at": article.received_at,
        "stored_at": stored_at,
        "record": article.dumps().decode("utf-8"),
    }


class SqlArticleStore:
    """The table store on one SQLAlchemy async engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("store is not open: call `await store.open()` first")
        return self._engine

    async def open(self) -> None:
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_async_engine(_async_url(self.url))
        event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        async with self._engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(
                sqlite_insert(store_meta)
                .values(key="schema_version", value=SCHEMA_VERSION)
                .on_conflict_do_nothing()
            )

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def upsert(self, batch: Sequence[Article]) -> None:
        if not batch:
            return
        # Last write wins within a batch, as it would across batches; one time per transaction.
        now = time.time()
        rows = list({a.id: _row(a, now) for a in batch}.values())
        stmt = sqlite_insert(articles)
        stmt = stmt.on_conflict_do_update(
            index_elements=[articles.c.id], set_={c: stmt.excluded[c] for c in _UPDATED}
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt, rows)

    async def get(self, article_id: str) -> Article | None:
        async with self.engine.connect() as conn:
            record = await conn.scalar(select(articles.c.record).where(articles.c.id == article_id))
        return None if record is None else Article.from_data(orjson.loads(record))

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(articles)) or 0)

    async def latest(self, limit: int = 20) -> list[Article]:
        query = select(articles.c.record).order_by(articles.c.stored_at.desc()).limit(limit)
        async with self.engine.connect() as conn:
            records = (await conn.scalars(query)).all()
        return [Article.from_data(orjson.loads(r)) for r in records]


def open_store(url: str) -> SqlArticleStore:
    """The store for `url` (not yet opened: `await store.open()`)."""
    return SqlArticleStore(url)
