"""The SQLite table store, on a real SQLite file: upsert by id, reads, reopen."""

from pathlib import Path

from pipeline.store import open_store
from schemas import Article, Entity


def _article(article_id: str, title: str = "T", stored: int = 0) -> Article:
    return Article(
        id=article_id,
        title=title,
        body="Body.",
        word_count=1,
        normalized_at=float(stored),
        entities=[Entity(text="Armenia", label="GPE", count=1, first_offset=0, in_title=False)],
    )


async def test_upsert_never_adds_a_second_row_for_an_id(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'n.db'}")
    await store.open()
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


async def test_data_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'n.db'}"
    first = open_store(url)
    await first.open()
    await first.upsert([_article("a")])
    await first.close()
    second = open_store(url)
    await second.open()
    try:
        assert [a.id for a in await second.latest()] == ["a"]
    finally:
        await second.close()


async def test_empty_batch_is_a_no_op(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'n.db'}")
    await store.open()
    try:
        await store.upsert([])
        assert await store.count() == 0
    finally:
        await store.close()
