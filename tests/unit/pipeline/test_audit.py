"""The audit as a pure function: raw records traced through hops, list in, report out."""

from __future__ import annotations

from pipeline.audit import DeadLetterRef, Hop, RawRecord, audit, report_lines


class Refused(Exception):
    pass


def _id_of(record: RawRecord) -> str:
    if record.value == b"bad":
        raise Refused("not_json")
    return record.value.decode()


def _raw(*values: str) -> list[RawRecord]:
    return [RawRecord(n % 2, n // 2, v.encode(), 0.0) for n, v in enumerate(values)]


def _audit(raw: list[RawRecord], letters: list[DeadLetterRef], *hops: Hop):  # type: ignore[no-untyped-def]
    return audit(raw, _id_of, letters, raw_topic="news.raw", hops=hops, refusals=(Refused,))


def test_every_record_accounted_for_by_a_hop_or_a_dead_letter() -> None:
    raw = _raw("a", "b", "bad", "c", "a")  # "a" published twice: one article
    letters = [
        DeadLetterRef("normalize", "news.raw", 0, 1, None),  # "bad" at 0@1
        DeadLetterRef("enrich", "news.clean", 2, 7, "c"),
    ]
    report = _audit(
        raw,
        letters,
        Hop("news.clean", "normalize", ["a", "b", "c", "a"]),
        Hop("news.enriched", "enrich", ["a", "b"]),
        Hop("store", "store", ["a", "b"], keyed=True),
    )
    assert report.ok
    assert report.raw == 5
    assert report.dead_lettered == {"normalize": 1, "enrich": 1}
    assert report.hops[0].repeated == {"a": 2}  # redelivered: allowed on a topic
    assert report.hops[1].expected == 2


def test_a_missing_record_is_named_with_its_raw_place_at_the_first_hop_it_misses() -> None:
    raw = _raw("a", "b", "c")
    report = _audit(
        raw,
        [],
        Hop("news.clean", "normalize", ["a", "c"]),
        Hop("store", "store", ["a", "c", "c", "x"], keyed=True),
    )
    assert not report.ok
    assert [(m.article_id, m.where) for m in report.lost] == [("b", "1@0")]
    assert report.duplicate_rows == 1  # two rows of "c" in the store
    assert report.hops[1].unexpected == 1  # "x": not from news.raw
    lines = report_lines(report)
    assert "    missing b (news.raw 1@0)" in lines
    assert lines[-1] == "LOST 1, duplicate rows 1"


def test_a_record_normalize_refuses_without_a_dead_letter_is_lost() -> None:
    report = _audit(_raw("bad", "a"), [], Hop("news.clean", "normalize", ["a"]))
    assert [m.where for m in report.lost] == ["0@0"]
    assert "no dead letter" in report.lost[0].article_id
