"""The API's read side over real SQLite and PostgreSQL stores written by the real store code."""

from pathlib import Path

from pipeline.store import open_store
from pipeline.web.queries import START, ArticleFilters
from pipeline.web.reader import StoreReader
from schemas.article import Article, Entity


def _article(article_id: str, story: str | None = None, source: str = "wire") -> Article:
    return Article(
        id=article_id,
        title=f"Title {article_id}",
        body="Body text.",
        word_count=2,
        normalized_at=0.0,
        source=source,
        story_id=story,
        entities=[Entity(text="Armenia", label="GPE", count=1, first_offset=0, in_title=False)],
    )


async def test_reads_nothing_and_creates_nothing_before_the_store_exists(tmp_path: Path) -> None:
    reader = StoreReader(f"sqlite:///{tmp_path / 'missing.db'}")
    assert await reader.articles(ArticleFilters()) == []
    assert await reader.latest_cursor() is None
    assert (await reader.figures(0.0))["articles"] == 0
    assert not await reader.writable()
    assert not (tmp_path / "missing.db").exists()


async def test_reads_nothing_before_the_schema_exists_on_postgresql(postgres_url: str) -> None:
    reader = StoreReader(postgres_url)
    try:
        assert await reader.articles(ArticleFilters(entity="x")) == []
        assert await reader.latest_cursor() is None
        assert not await reader.writable()
    finally:
        await reader.close()


async def test_reads_what_the_store_wrote(store_url: str) -> None:
    url = store_url
    store = open_store(url)
    await store.open()
    reader = StoreReader(url)
    try:
        await store.upsert([_article("a", "a"), _article("b", "a", source="blog")])
        await store.upsert([_article("c")])
        listed = await reader.articles(ArticleFilters(entity="ARMENIA"), body=False)
        assert [a["id"] for a in listed] == ["c", "b", "a"]
        assert "body" not in listed[0] and listed[0]["stored_at"] > 0
        one = await reader.article("a")
        assert one is not None and one["body"] == "Body text."
        assert [a["id"] for a in await reader.story("a")] == ["a", "b"]
        rows = await reader.after(START, ArticleFilters(), 2)
        assert [item["id"] for _, item in rows] == ["a", "b"]
        rest = await reader.after(rows[-1][0], ArticleFilters(), 10)
        assert [item["id"] for _, item in rest] == ["c"]
        assert await reader.latest_cursor() == rest[-1][0]
        newest = await reader.newest(ArticleFilters(limit=2))
        assert [item["id"] for _, item in newest] == ["b", "c"]  # oldest first
        figures = await reader.figures(now=rows[0][1]["stored_at"])
        assert figures["articles"] == 3
        assert figures["sources"] == [
            {"source": "wire", "articles": 2},
            {"source": "blog", "articles": 1},
        ]
        biggest = figures["stories"][0]
        assert (biggest["story_id"], biggest["articles"], biggest["last_hour"]) == ("a", 2, 2)
        assert biggest["title"] == "Title a"  # the story's first article
        assert figures["growing"] == figures["stories"][:1]
        assert await reader.writable()
    finally:
        await reader.close()
        await store.close()
