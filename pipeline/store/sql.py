"""`ArticleStore` on SQLAlchemy Core (async): SQLite (aiosqlite) or PostgreSQL (psycopg 3).

One class for both: the dialect decides the URL's driver, the connection set-up and the
`INSERT … ON CONFLICT` construct; the tables (`schema.py`) and migrations (`migrations.py`)
are shared. PostgreSQL connections come from SQLAlchemy's pool, each checked before use, so
a restarted server costs one failed write (which the store agent retries), not a dead pool.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from pipeline.store.migrations import SCHEMA_VERSION, entity_keys, migrate
from pipeline.store.schema import article_entities, articles
from schemas.article import Article

__all__ = ["SCHEMA_VERSION", "SqlArticleStore", "articles", "async_url", "open_store", "sync_url"]

POOL_SIZE = 4  # the store agent writes one batch at a time; the rest is headroom

# A re-delivered or re-published article replaces its row (so `received_at` moves on).
_UPDATED = tuple(c.name for c in articles.columns if c.name != "id")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def async_url(url: str) -> str:
    """The SQLAlchemy async URL of a store URL: `sqlite:///PATH` or `postgresql://…`."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    raise ValueError(
        f"unsupported store URL {url!r}: expected sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def sync_url(url: str) -> str:
    """The SQLAlchemy URL of a store URL for a synchronous engine (the API's reads)."""
    driver_url = async_url(url)
    return url if driver_url.startswith("sqlite") else driver_url  # psycopg does both


_WAL_ATTEMPTS = 20


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    # WAL lets the API read while the store agent writes; NORMAL is durable across app crashes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    # Switching a new file to WAL takes an exclusive lock and, unlike writes, can fail at
    # once with "database is locked" when several workers open it together: try again.
    for attempt in itertools.count(1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)  # back-off in the connection's own thread
    cursor.execute("PRAGMA synchronous=NORMAL")
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

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def open(self) -> None:
        driver_url = async_url(self.url)
        if driver_url.startswith("sqlite"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(driver_url)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            engine = create_async_engine(
                driver_url, pool_size=POOL_SIZE, max_overflow=0, pool_pre_ping=True
            )
        try:
            async with engine.begin() as conn:
                await conn.run_sync(migrate)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def upsert(self, batch: Sequence[Article]) -> None:
        if not batch:
            return
        # Last write wins within a batch, as it would across batches; one time per
        # transaction. Rows go in id order so that two workers writing overlapping batches
        # (a rebalance redelivers) lock rows in the same order and cannot deadlock.
        now = time.time()
        latest = {a.id: a for a in batch}
        ids = sorted(latest)
        rows = [_row(latest[i], now) for i in ids]
        entity_rows = [
            {"article_id": i, "entity": key}
            for i in ids
            for key in entity_keys(e.text for e in latest[i].entities)
        ]
        insert_ = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = insert_(articles)
        stmt = stmt.on_conflict_do_update(
            index_elements=[articles.c.id], set_={c: stmt.excluded[c] for c in _UPDATED}
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt, rows)
            await conn.execute(
                delete(article_entities).where(article_entities.c.article_id.in_(ids))
            )
            if entity_rows:
                await conn.execute(insert(article_entities), entity_rows)

    async def get(self, article_id: str) -> Article | None:
        async with self.engine.connect() as conn:
            record = await conn.scalar(select(articles.c.record).where(articles.c.id == article_id))
        return None if record is None else Article.from_data(orjson.loads(record))

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(articles)) or 0)

    async def ids(self) -> list[str]:
        async with self.engine.connect() as conn:
            return list((await conn.scalars(select(articles.c.id))).all())

    async def latest(self, limit: int = 20) -> list[Article]:
        query = select(articles.c.record).order_by(articles.c.stored_at.desc()).limit(limit)
        async with self.engine.connect() as conn:
            records = (await conn.scalars(query)).all()
        return [Article.from_data(orjson.loads(r)) for r in records]


def open_store(url: str) -> SqlArticleStore:
    """The store for `url` (not yet opened: `await store.open()`)."""
    return SqlArticleStore(url)
