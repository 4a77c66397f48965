"""API filters and stream cursors: parsing, and the SQL they build, run on real SQLite and
PostgreSQL stores (the `store_url` fixture: each query test runs on both)."""

from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy import Connection, create_engine

from pipeline.store.migrations import entity_keys, migrate
from pipeline.store.schema import article_entities, articles
from pipeline.store.sql import sync_url
from pipeline.web.queries import (
    MAX_LIMIT,
    START,
    ArticleFilters,
    BadQuery,
    Cursor,
    after_query,
    article_query,
    latest_cursor_query,
    list_query,
    parse_time,
    story_query,
)

ROWS = [
    # id, source, story, stored_at, published_at, entities
    ("a", "wire", "s1", 10.0, "2023-09-19T00:00:00Z", ["Azerbaijan", "Armenia"]),
    ("b", "blog", "s1", 20.0, "2023-09-18T00:00:00Z", ["Armenia"]),
    ("c", "wire", "s2", 20.0, "2023-11-16T00:00:00Z", []),
    ("d", "wire", None, 30.0, None, ["Russia"]),
]


@pytest.fixture
def db(store_url: str) -> Iterator[Connection]:
    engine = create_engine(sync_url(store_url))
    with engine.begin() as conn:
        migrate(conn)
    with engine.connect() as conn:
        for id_, source, story, stored_at, published, names in ROWS:
            entities = [{"text": n, "label": "GPE"} for n in names]
            record = {"id": id_, "title": id_.upper(), "entities": entities}
            conn.execute(
                articles.insert().values(
                    id=id_,
                    title=id_.upper(),
                    source=source,
                    story_id=story,
                    stored_at=stored_at,
                    published_at=published,
                    record=orjson.dumps(record).decode(),
                )
            )
            for key in entity_keys(names):
                conn.execute(article_entities.insert().values(article_id=id_, entity=key))
        yield conn
    engine.dispose()


def ids(conn: Connection, query: object) -> list[str]:
    return [orjson.loads(row[0])["id"] for row in conn.execute(query)]  # type: ignore[call-overload]


def test_filters_from_query_parameters() -> None:
    filters = ArticleFilters.from_query(
        {"entity": " Armenia ", "story": "s1", "source": "", "since": "1970-01-01T00:00:10Z"}
    )
    assert filters == ArticleFilters(entity="Armenia", story="s1", since=10.0, limit=50)
    assert ArticleFilters.from_query({"limit": "7"}).limit == 7


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "ten"}, "limit='ten'"),
        ({"limit": "0"}, "limit=0"),
        ({"limit": str(MAX_LIMIT + 1)}, f"limit={MAX_LIMIT + 1}"),
        ({"since": "yesterday"}, "since='yesterday'"),
        ({"since": "nan"}, "since='nan'"),
    ],
)
def test_bad_parameters_say_which_and_why(query: dict[str, str], message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        ArticleFilters.from_query(query)


def test_times_are_unix_seconds_or_iso_8601_defaulting_to_utc() -> None:
    assert parse_time("1700000000.5") == 1700000000.5
    assert parse_time("2023-11-16") == 1700092800.0
    assert parse_time("2023-11-16T02:00:00+02:00") == 1700092800.0
    assert parse_time("2023-11-16T00:00:00Z") == 1700092800.0


def test_list_is_newest_first_and_filters_combine(db: Connection) -> None:
    assert ids(db, list_query(ArticleFilters())) == ["d", "c", "b", "a"]
    assert ids(db, list_query(ArticleFilters(limit=2))) == ["d", "c"]
    assert ids(db, list_query(ArticleFilters(source="wire"))) == ["d", "c", "a"]
    assert ids(db, list_query(ArticleFilters(source="wire", story="s1"))) == ["a"]
    assert ids(db, list_query(ArticleFilters(since=20.0))) == ["d", "c", "b"]


def test_entity_filter_matches_canonical_text_case_insensitively(db: Connection) -> None:
    assert ids(db, list_query(ArticleFilters(entity="armenia"))) == ["b", "a"]
    assert ids(db, list_query(ArticleFilters(entity="Armen"))) == []


def test_story_is_in_publication_order(db: Connection) -> None:
    assert ids(db, story_query("s1")) == ["b", "a"]
    assert ids(db, story_query("none")) == []
    assert ids(db, article_query("c")) == ["c"]


def test_after_a_cursor_comes_everything_not_yet_seen_in_order(db: Connection) -> None:
    everything = list(db.execute(after_query(START, ArticleFilters(), 100)))
    assert [orjson.loads(r.record)["id"] for r in everything] == ["a", "b", "c", "d"]
    # b and c share a stored_at (one batch): the rowid orders them and resumes between them.
    b = everything[1]
    assert ids(db, after_query(Cursor(b.stored_at, b.rowid), ArticleFilters(), 100)) == ["c", "d"]
    assert ids(db, after_query(Cursor(b.stored_at, b.rowid), ArticleFilters(), 1)) == ["c"]
    assert ids(db, after_query(Cursor(30.0, 4), ArticleFilters(), 100)) == []
    wire = ArticleFilters(source="wire", since=1e9)  # `since` does not apply after a cursor
    assert ids(db, after_query(Cursor(10.0, 1), wire, 100)) == ["c", "d"]


def test_latest_cursor_is_the_newest_row(db: Connection) -> None:
    assert tuple(db.execute(latest_cursor_query()).one()) == (30.0, 4)


def test_cursor_text_round_trips_exactly() -> None:
    cursor = Cursor(1795611780.6821113, 42)
    assert str(cursor) == "1795611780.6821113-42"
    assert Cursor.parse(str(cursor)) == cursor
    assert Cursor(1.0, 2) < Cursor(1.0, 3) < Cursor(1.5, 0)


@pytest.mark.parametrize("text", ["", "12", "abc-1", "1.0-x", "inf-1"])
def test_a_bad_event_id_is_refused(text: str) -> None:
    with pytest.raises(BadQuery, match="event id"):
        Cursor.parse(text)
