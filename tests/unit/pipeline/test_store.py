"""The table store on both backends (a real SQLite file, a real PostgreSQL server).

Every test here runs twice, `[sqlite]` and `[postgresql]`, through the `store_url` fixture.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, text

from pipeline.store import open_store
from pipeline.store.migrations import SCHEMA_VERSION
from pipeline.store.schema import article_entities, store_meta
from pipeline.store.sql import SqlArticleStore, async_url
from schemas import Article, Entity


def _entity(name: str) -> Entity:
    return Entity(text=name, label="GPE", count=1, first_offset=0, in_title=False)


def _article(
    article_id: str, title: str = "T", entities: tuple[str, ...] = ("Armenia",)
) -> Article:
    return Article(
        id=article_id,
        title=title,
        body="Body.",
        word_count=1,
        normalized_at=0.0,
        entities=[_entity(e) for e in entities],
    )


async def _opened(url: str) -> SqlArticleStore:
    store = open_store(url)
    await store.open()
    return store


async def test_upsert_never_adds_a_second_row_for_an_id(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        await store.upsert([_article("a"), _article("b")])
        await store.upsert([_article("a", title="T2"), _article("a", title="T3")])
        assert await store.count() == 2
        stored = await store.get("a")
        assert stored is not None
        assert stored.title == "T3"
        assert stored.entities[0].text == "Armenia"
        assert await store.get("missing") is None
    finally:
        await store.close()


async def test_a_batch_of_thousands_is_one_upsert(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        await store.upsert([_article(f"id{n:05}") for n in range(2_000)])
        await store.upsert([_article(f"id{n:05}", title="again") for n in range(1_000, 3_000)])
        assert await store.count() == 3_000
        again = await store.get("id01500")
        assert again is not None and again.title == "again"
    finally:
        await store.close()


async def test_the_entity_index_follows_the_latest_version(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        await store.upsert([_article("a", entities=("Armenia", "ARMENIA", "Baku"))])
        await store.upsert([_article("a", entities=("Yerevan",)), _article("b")])
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(article_entities).order_by("article_id"))).all()
        assert [tuple(r) for r in rows] == [("a", "yerevan"), ("b", "armenia")]
    finally:
        await store.close()


async def test_data_survives_reopening(store_url: str) -> None:
    first = await _opened(store_url)
    await first.upsert([_article("a")])
    await first.close()
    second = await _opened(store_url)
    try:
        assert [a.id for a in await second.latest()] == ["a"]
    finally:
        await second.close()


async def test_empty_batch_is_a_no_op(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        await store.upsert([])
        assert await store.count() == 0
    finally:
        await store.close()


async def test_workers_opening_together_migrate_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        async with stores[0].engine.connect() as conn:
            versions = (await conn.execute(select(store_meta.c.value))).scalars().all()
        assert versions == [SCHEMA_VERSION]
    finally:
        for store in stores:
            await store.close()


async def test_a_newer_schema_is_refused(store_url: str) -> None:
    store = await _opened(store_url)
    async with store.engine.begin() as conn:
        await conn.execute(store_meta.update().values(value=SCHEMA_VERSION + 1))
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this newswire"):
        await open_store(store_url).open()


async def test_an_upsert_keeps_the_row_position_streams_resume_from(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        await store.upsert([_article("a"), _article("b")])
        query = text("SELECT id, rowid FROM articles ORDER BY id")
        async with store.engine.connect() as conn:
            before = (await conn.execute(query)).all()
        await store.upsert([_article("a", title="T2")])
        async with store.engine.connect() as conn:
            assert (await conn.execute(query)).all() == before
    finally:
        await store.close()


async def test_a_version_1_sqlite_store_is_migrated_with_its_entities(tmp_path: Path) -> None:
    """A store written by newswire before the entity index gets it, backfilled, at open."""
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    store = await _opened(url)
    await store.upsert([_article("a", entities=("Armenia",)), _article("b", entities=())])
    async with store.engine.begin() as conn:  # back to what version 1 looked like
        await conn.execute(text("DROP TABLE article_entities"))
        await conn.execute(store_meta.update().values(value=1))
    await store.close()

    store = await _opened(url)
    try:
        async with store.engine.connect() as conn:
            assert (await conn.execute(select(article_entities))).all() == [("a", "armenia")]
            assert await conn.scalar(select(store_meta.c.value)) == SCHEMA_VERSION
    finally:
        await store.close()


def test_store_urls() -> None:
    assert async_url("sqlite:///x/n.db") == "sqlite+aiosqlite:///x/n.db"
    assert async_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert async_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ValueError, match="expected sqlite:///PATH or postgresql://"):
        async_url("mysql://u@h/db")
