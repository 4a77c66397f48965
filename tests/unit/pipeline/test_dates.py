"""pipeline/dates.py: publication dates to aware UTC, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline.dates import iso_utc, parse_published
from pipeline.errors import DateOutOfRange, UnparseableDate

NOW = datetime(2023, 9, 20, 12, 0, tzinfo=UTC)
MAX_FUTURE = timedelta(days=2)


def parse(value: str) -> str:
    """`parse_published` with the fixed clock, as an isoformat string (offset included)."""
    parsed = parse_published(value, now=NOW, max_future=MAX_FUTURE)
    assert parsed.tzinfo is UTC
    return parsed.isoformat()


def test_iso_8601_converts_to_utc() -> None:
    values = [
        "2023-09-19T10:00:00+02:00",
        "2023-09-19T10:00:00.123+0200",
        "2023-09-19T10:00:00Z",
        "2023-09-19T10:00:00-05:30",
        "2023-09-19 10:00:00+00:00",
    ]
    assert [parse(v) for v in values] == [
        "2023-09-19T08:00:00+00:00",
        "2023-09-19T08:00:00.123000+00:00",
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T15:30:00+00:00",
        "2023-09-19T10:00:00+00:00",
    ]


def test_naive_values_are_taken_as_utc() -> None:
    values = [
        "2023-09-19T10:00:00",
        "2023-09-19",
        "  2023-09-19 \n",
        "Tue, 19 Sep 2023 10:00:00 -0000",
    ]
    assert [parse(v) for v in values] == [
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T00:00:00+00:00",
        "2023-09-19T00:00:00+00:00",
        "2023-09-19T10:00:00+00:00",
    ]


def test_rfc_2822_with_offsets_and_zone_names() -> None:
    values = [
        "Tue, 19 Sep 2023 10:00:00 GMT",
        "Tue, 19 Sep 2023 10:00:00 +0000",
        "Tue, 19 Sep 2023 10:00:00 -0400",
        "19 Sep 2023 10:00:00 EST",
        "Tue, 19 Sep 2023 10:00:00 UTC",
        "Tue, 19 Sep 2023 10:00:00 PDT",
    ]
    assert [parse(v) for v in values] == [
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T14:00:00+00:00",
        "2023-09-19T15:00:00+00:00",
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T17:00:00+00:00",
    ]


def test_epoch_seconds_and_milliseconds() -> None:
    values = ["1695117600", "1695117600123", " 1695117600 "]
    assert [parse(v) for v in values] == [
        "2023-09-19T10:00:00+00:00",
        "2023-09-19T10:00:00.123000+00:00",
        "2023-09-19T10:00:00+00:00",
    ]


def unparseable_message(value: str) -> str:
    with pytest.raises(UnparseableDate) as caught:
        parse_published(value, now=NOW, max_future=MAX_FUTURE)
    assert caught.value.reason == "unparseable_date"
    return caught.value.message


def test_unparseable_values_are_rejected_with_the_value_quoted() -> None:
    values = [
        "2023-02-30",
        "yesterday",
        "",
        "   ",
        "169511760",
        "16951176001",
        "2023-13-01",
        "Tue, 32 Sep 2023 10:00:00 GMT",
        "2023",
    ]
    assert [unparseable_message(v) for v in values] == [
        f"no known date format reads {v!r}" for v in values
    ]


def test_long_unparseable_values_are_truncated_in_the_message() -> None:
    message = unparseable_message("x" * 200)
    assert message == "no known date format reads '" + "x" * 79 + "…'"


def out_of_range_message(value: str) -> str:
    with pytest.raises(DateOutOfRange) as caught:
        parse_published(value, now=NOW, max_future=MAX_FUTURE)
    assert caught.value.reason == "date_out_of_range"
    return caught.value.message


def test_dates_before_1800_or_too_far_ahead_are_out_of_range() -> None:
    values = [
        "1750-01-01",
        "2099-01-01T00:00:00Z",
        "2023-09-22T12:00:01Z",
        "0001-01-01T00:00+01:00",
    ]
    assert [out_of_range_message(v) for v in values] == [
        "date 1750-01-01T00:00:00Z is before the earliest allowed 1800-01-01T00:00:00Z",
        "date 2099-01-01T00:00:00Z is after the latest allowed 2023-09-22T12:00:00Z "
        "(now + 2 days, 0:00:00)",
        "date 2023-09-22T12:00:01Z is after the latest allowed 2023-09-22T12:00:00Z "
        "(now + 2 days, 0:00:00)",
        "date '0001-01-01T00:00+01:00' lies outside the datetime range",
    ]


def test_dates_at_the_limits_are_accepted() -> None:
    assert [parse(v) for v in ["1800-01-01", "2023-09-22T12:00:00Z", "2023-09-22T14:00+02:00"]] == [
        "1800-01-01T00:00:00+00:00",
        "2023-09-22T12:00:00+00:00",
        "2023-09-22T12:00:00+00:00",
    ]


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        parse_published("2023-09-19", now=datetime(2023, 9, 20), max_future=MAX_FUTURE)


def test_iso_utc_formats_in_utc_to_the_second() -> None:
    plus_two = timezone(timedelta(hours=2))
    values = [
        datetime(2023, 9, 19, 10, 0, 0, 999_999, tzinfo=plus_two),
        datetime(2023, 9, 19, 10, 0, 0, tzinfo=UTC),
        datetime(900, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    assert [iso_utc(v) for v in values] == [
        "2023-09-19T08:00:00Z",
        "2023-09-19T10:00:00Z",
        "0900-01-02T03:04:05Z",
    ]


def test_iso_utc_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(datetime(2023, 9, 19))
