"""Read-only access to the table store for the API: its own connections, never the writer's.

On SQLite (WAL mode) these reads run beside the store agent's writes without blocking them;
each connection is `PRAGMA query_only`. On PostgreSQL each connection's transactions are
read-only (`default_transaction_read_only`). Either way nothing the API runs can write.
Until the store agent has created the schema, every read returns nothing rather than
creating an empty database behind the writer's back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar, TypeVarTuple

import orjson
import psycopg
from sqlalchemy import Connection, Engine, Row, Select, case, create_engine, event, func, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import ConnectionPoolEntry

from pipeline.store.schema import articles
from pipeline.store.sql import async_url, sync_url
from pipeline.web.queries import (
    ArticleFilters,
    Cursor,
    after_query,
    article_query,
    latest_cursor_query,
    list_query,
    story_query,
)
from pipeline.web.trending import rank_named

__all__ = ["Item", "StoreReader", "sqlite_path"]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
Item = dict[str, Any]  # an article record as JSON data, plus `stored_at`
STORY_HOURS: Final = 24  # the "top stories" window of the figures
TOP: Final = 10
GROWTH_SECONDS: Final = 3600  # "fastest-growing": most articles in the last hour
STORY_ENTITIES: Final = 5  # named entities shown with each story of the panel
STORY_ARTICLES: Final = 500  # the panel's stories' newest articles that name them
SUGGESTION_ARTICLES: Final = 1000  # the newest articles whose entities are suggested


def _story(row: Sequence[Any], named: dict[str, list[Item]]) -> Item:
    story_id, articles_, recent, last, title = row
    return {
        "story_id": story_id,
        "title": title,
        "articles": articles_,
        "last_hour": int(recent or 0),
        "last_stored_at": last,
        "entities": named.get(story_id, []),
    }


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` store URL; None for PostgreSQL (ValueError otherwise)."""
    driver_url = async_url(url)  # raises for an unsupported URL
    if not driver_url.startswith("sqlite"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def _read_only(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=2000")
    cursor.close()


def _item(record: str, stored_at: float, *, body: bool) -> Item:
    data: Item = orjson.loads(record)
    if not body:
        data.pop("body", None)
    data["stored_at"] = stored_at
    return data


def _probe_postgres_writable(url: str, timeout: float) -> bool:
    # A primary (not a read-only standby) that answers within `timeout`, on which this user
    # may write the articles table (False as well while the table does not exist).
    conninfo = "postgresql://" + async_url(url).removeprefix("postgresql+psycopg://")
    try:
        with psycopg.connect(conninfo, connect_timeout=max(1, round(timeout))) as conn:
            row = conn.execute(
                "SELECT NOT pg_is_in_recovery() AND has_table_privilege('articles', 'INSERT')"
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def _probe_writable(path: Path, timeout: float) -> bool:
    # BEGIN IMMEDIATE takes SQLite's write lock (what an upsert needs) and ROLLBACK lets it go
    # without changing a byte: a read-only file system, a stuck lock or a corrupt file fail it.
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout)
    except sqlite3.Error:
        return False
    try:
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


class StoreReader:
    """Queries over the table store at `url` (SQLite or PostgreSQL), opened on first use.

    Each call does all its SQL and JSON decoding in one worker thread (`asyncio.to_thread`)
    on a synchronous engine: one hop off the event loop per request, where an async driver
    would cross threads for every cursor operation, and each crossing waits for the GIL
    while the agents keep the loop busy.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._engine: Engine | None = None

    def _get_engine(self) -> Engine:
        if self._engine is None:
            if self.path is not None:
                self._engine = create_engine(f"sqlite:///{self.path}")
                event.listen(self._engine, "connect", _read_only)
            else:
                self._engine = create_engine(
                    sync_url(self.url),
                    pool_size=2,
                    pool_pre_ping=True,
                    connect_args={"options": "-c default_transaction_read_only=on"},
                )
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _rows(self, conn: Connection | None, query: Select[*_Ts]) -> Sequence[Row[*_Ts]]:
        return [] if conn is None else conn.execute(query).all()

    async def _run(self, work: Callable[[Connection | None], _T]) -> _T:
        """`work(connection)` in a thread; the connection is None until the store exists."""

        def run() -> _T:
            if self.path is not None and not self.path.exists():
                return work(None)
            try:
                with self._get_engine().connect() as conn:
                    return work(conn)
            except (OperationalError, ProgrammingError) as exc:
                # The store agent has not created the table yet (SQLite; PostgreSQL).
                if "no such table" in str(exc) or "UndefinedTable" in type(exc.orig).__name__:
                    return work(None)
                raise

        return await asyncio.to_thread(run)

    async def articles(self, filters: ArticleFilters, *, body: bool = True) -> list[Item]:
        """Matching articles, most recently stored first."""
        return await self._run(
            lambda c: [
                _item(r.record, r.stored_at, body=body) for r in self._rows(c, list_query(filters))
            ]
        )

    async def newest(
        self, filters: ArticleFilters, *, body: bool = True
    ) -> list[tuple[Cursor, Item]]:
        """The newest `filters.limit` matching articles with their cursors, oldest first."""
        rows = await self._cursored(list_query(filters), body)
        return rows[::-1]

    async def _cursored(
        self, query: Select[str, float, int], body: bool
    ) -> list[tuple[Cursor, Item]]:
        return await self._run(
            lambda c: [
                (Cursor(r.stored_at, r.rowid), _item(r.record, r.stored_at, body=body))
                for r in self._rows(c, query)
            ]
        )

    async def article(self, article_id: str) -> Item | None:
        """One article with its body, or None."""
        items = await self._run(
            lambda c: [
                _item(r.record, r.stored_at, body=True)
                for r in self._rows(c, article_query(article_id))
            ]
        )
        return items[0] if items else None

    async def story(self, story_id: str, *, body: bool = False) -> list[Item]:
        """The articles of one story, in publication order."""
        return await self._run(
            lambda c: [
                _item(r.record, r.stored_at, body=body)
                for r in self._rows(c, story_query(story_id))
            ]
        )

    async def after(
        self, cursor: Cursor, filters: ArticleFilters, limit: int, *, body: bool = True
    ) -> list[tuple[Cursor, Item]]:
        """Matching articles stored after `cursor`, in processing order, with their cursors."""
        return await self._cursored(after_query(cursor, filters, limit), body)

    async def latest_cursor(self) -> Cursor | None:
        """The cursor of the newest row (None: the store is empty)."""
        rows = await self._run(lambda c: self._rows(c, latest_cursor_query()))
        return Cursor(rows[0].stored_at, rows[0].rowid) if rows else None

    def _figures(self, conn: Connection | None, now: float) -> dict[str, Any]:
        count = self._rows(conn, select(func.count(), func.max(articles.c.stored_at)))
        n = func.count().label("n")
        sources = self._rows(
            conn,
            select(articles.c.source, n)
            .where(articles.c.source.is_not(None))
            .group_by(articles.c.source)
            .order_by(n.desc())
            .limit(TOP),
        )
        languages = self._rows(
            conn,
            select(articles.c.language, n)
            .group_by(articles.c.language)
            .order_by(n.desc(), articles.c.language)
            .limit(TOP),
        )
        recent = func.sum(case((articles.c.stored_at >= now - GROWTH_SECONDS, 1), else_=0))
        story = (
            select(articles.c.story_id, n, recent.label("recent"), func.max(articles.c.stored_at))
            .where(articles.c.stored_at >= now - STORY_HOURS * 3600)
            .where(articles.c.story_id.is_not(None))
            .group_by(articles.c.story_id)
            .subquery()
        )
        first = articles.alias("first")  # a story's id is its first article's id
        stories = self._rows(
            conn,
            select(*story.c, first.c.title)
            .outerjoin(first, first.c.id == story.c.story_id)
            .order_by(story.c.n.desc(), story.c.story_id)
            .limit(TOP),
        )
        growing = self._rows(
            conn,
            select(*story.c, first.c.title)
            .outerjoin(first, first.c.id == story.c.story_id)
            .where(story.c.recent > 1)
            .order_by(story.c.recent.desc(), story.c.story_id)
            .limit(TOP),
        )
        total, last = (count[0][0], count[0][1]) if count else (0, None)
        named = self._story_entities(conn, {row[0] for row in [*stories, *growing]})
        return {
            "articles": int(total or 0),
            "last_stored_at": last,
            "sources": [{"source": s, "articles": c} for s, c in sources],
            "languages": [{"language": lang, "articles": c} for lang, c in languages],
            "stories": [_story(row, named) for row in stories],
            "growing": [_story(row, named) for row in growing],
        }

    def _story_entities(
        self, conn: Connection | None, story_ids: set[str]
    ) -> dict[str, list[Item]]:
        """Each story's leading named entities, over its newest articles."""
        if not story_ids:
            return {}
        rows = self._rows(
            conn,
            select(articles.c.story_id, articles.c.record)
            .where(articles.c.story_id.in_(sorted(story_ids)))
            .order_by(articles.c.stored_at.desc())
            .limit(STORY_ARTICLES),
        )
        lists: dict[str, list[list[Item]]] = {}
        for story_id, record in rows:
            lists.setdefault(story_id, []).append(orjson.loads(record).get("entities") or [])
        return {sid: rank_named(found, STORY_ENTITIES) for sid, found in lists.items()}

    async def entities(self, prefix: str, limit: int) -> list[Item]:
        """Named entities of the newest articles whose text (or a word of it) starts with
        `prefix`, most articles first: suggestions for the `?entity=` filter."""

        def work(conn: Connection | None) -> list[Item]:
            rows = self._rows(
                conn,
                select(articles.c.record)
                .order_by(articles.c.stored_at.desc())
                .limit(SUGGESTION_ARTICLES),
            )
            found = (orjson.loads(r.record).get("entities") or [] for r in rows)
            return rank_named(found, limit, prefix)

        return await self._run(work)

    async def figures(self, now: float) -> dict[str, Any]:
        """Totals for the dashboard: articles, latest store time, top sources, languages
        (null: unknown) and stories."""
        return await self._run(lambda c: self._figures(c, now))

    async def writable(self, timeout: float = 1.0) -> bool:
        """Whether the store could take a write now (its write lock, taken and released)."""
        if self.path is None:
            return await asyncio.to_thread(_probe_postgres_writable, self.url, timeout)
        return await asyncio.to_thread(_probe_writable, self.path, timeout)
