import pytest
from newsfixtures import feed_bytes
from parse_bomb import BILLION_LAUGHS

from pipeline.feeds.parse import FeedUnreadable, parse_feed


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("heise.atom", 15),
        ("uolNoticias.rss", 15),
        ("encoding.rss", 40),
        ("reddit-atom.rss", 24),
        ("rss-1.rss", 69),
        ("content-encoded.rss", 7),
    ],
)
def test_real_feeds_parse(name: str, count: int) -> None:
    feed = parse_feed(feed_bytes(name))
    assert len(feed.items) == count
    assert all(item.key and (item.link or item.summary) for item in feed.items)
    assert len({item.key for item in feed.items}) == count


def test_undeclared_latin1_feed_is_decoded() -> None:
    feed = parse_feed(feed_bytes("uolNoticias.rss"))
    assert feed.title == "UOL Noticias"
    text = " ".join((i.title or "") + (i.summary or "") for i in feed.items)
    assert "ç" in text or "ã" in text  # Portuguese accents survived, not mojibake
    assert "\ufffd" not in text and "Ã" not in text


def test_atom_dates_and_keys() -> None:
    feed = parse_feed(feed_bytes("heise.atom"))
    first = feed.items[0]
    assert first.key.startswith("id:")
    assert first.published_ts is not None and first.published_ts > 1.4e9


def test_billion_laughs_is_not_expanded() -> None:
    feed = parse_feed(BILLION_LAUGHS)  # expanded, the title alone would be 3 GB
    sizes = [len(feed.title or "")] + [
        len(i.title or "") + len(i.summary or "") for i in feed.items
    ]
    assert max(sizes) < 10_000


@pytest.mark.parametrize(
    "data", [b"", b"\x00\xff garbage", b"<html><body>not a feed</body></html>"]
)
def test_non_feeds_are_unreadable(data: bytes) -> None:
    with pytest.raises(FeedUnreadable):
        parse_feed(data)
