from pathlib import Path

import pytest

from pipeline.feeds.feedlist import FeedListError, read_feed_list, read_opml

OPML = """<?xml version="1.0"?><opml version="2.0"><body>
<outline text="News"><outline text="Example" xmlUrl="https://example.com/rss"/>
<outline title="Other" text="x" xmlUrl="http://other.org/atom.xml"/></outline>
<outline text="no feed here"/></body></opml>"""


def test_opml_nested_outlines(tmp_path: Path) -> None:
    path = tmp_path / "subs.opml"
    path.write_text(OPML)
    entries = read_opml(path)
    assert [(e.url, e.name) for e in entries] == [
        ("https://example.com/rss", "Example"),
        ("http://other.org/atom.xml", "Other"),
    ]


def test_opml_entity_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.opml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml>&a;</opml>')
    with pytest.raises(FeedListError, match="not readable OPML"):
        read_opml(path)


def test_plain_feed_list(tmp_path: Path) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text(
        "# my feeds\nhttps://a.example/rss 10m Alpha News\nhttps://b.example/feed\n\n"
        "https://c.example/x Gamma  # no interval\n"
    )
    entries = read_feed_list(path)
    assert [(e.url, e.name, e.interval_seconds) for e in entries] == [
        ("https://a.example/rss", "Alpha News", 600.0),
        ("https://b.example/feed", "b.example/feed", None),
        ("https://c.example/x", "Gamma", None),
    ]
    path.write_text("ftp://nope\n")
    with pytest.raises(FeedListError, match=r"feeds.txt:1"):
        read_feed_list(path)
