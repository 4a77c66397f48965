"""`newswire topics list`'s table: units people read, and the fix beside each problem."""

from pipeline.cli.admin import format_topics
from pipeline.topics_admin import Grown, TopicChanges, TopicInfo

_CONFIGS = {
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "segment.bytes": "1073741824",
    "max.message.bytes": "4065536",
}


def test_the_table_shows_settings_in_units_and_advises_on_problems() -> None:
    infos = [
        TopicInfo("news.raw", 1, 4, 1234, _CONFIGS),
        TopicInfo("news.clean", 0, 4, 0, {}),
        TopicInfo(
            "newswire-dedupe-index-changelog", 1, None, 7, {**_CONFIGS, "retention.ms": "-1"}
        ),
    ]
    lines = format_topics(infos).splitlines()
    assert lines[0].split()[:3] == ["topic", "partitions", "records"]
    assert lines[1].split() == [
        "news.raw",
        "1",
        "(needs",
        "4)",
        "1,234",
        "7",
        "d",
        "unlimited",
        "1",
        "GiB",
        "3.88",
        "MiB",
    ]
    assert lines[2].split() == ["news.clean", "missing"]
    assert lines[3].split()[:5] == [
        "newswire-dedupe-index-changelog",
        "1",
        "7",
        "forever",
        "unlimited",
    ]
    assert lines[4:] == [
        "news.raw has too few partitions: `newswire topics add-partitions` grows it",
        "news.clean is missing: `newswire topics create` creates it",
    ]


def test_changes_say_what_was_created_and_grown() -> None:
    assert TopicChanges().lines() == []
    changes = TopicChanges(created=["news.clean"], grown=[Grown("news.raw", 1, 4)])
    assert changes.lines() == [
        "created: news.clean",
        "grew news.raw from 1 to 4 partitions (it had too few; its records stay where they are)",
    ]
