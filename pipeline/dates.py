"""Publication dates: many spellings in, one aware UTC `datetime` out.

Accepted, tried in this order on the stripped value:

1. Unix epoch: 10 digits (seconds) or 13 digits (milliseconds).
2. ISO 8601 via `datetime.fromisoformat` (3.11 reads `Z`, `+0200`, `+02:00`,
   fractions, plain dates `YYYY-MM-DD` as midnight).
3. RFC 2822 via `email.utils.parsedate_to_datetime` (`Tue, 19 Sep 2023 10:00:00 GMT`,
   numeric offsets, the US zone names EST/EDT/CST/.../PDT).

A value without a time zone (naive ISO, RFC 2822 with `-0000` or an unknown zone name)
is taken as UTC: feeds that omit the zone mostly mean UTC, and guessing a local zone
would be worse. The clock is injected (`now`), so range checks are deterministic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from pipeline.errors import DateOutOfRange, UnparseableDate

__all__ = ["EARLIEST_PUBLISHED", "iso_utc", "parse_published"]

EARLIEST_PUBLISHED = datetime(1800, 1, 1, tzinfo=UTC)
"""Anything earlier is a parsing accident (year 0001, swapped fields), not news."""

_EPOCH = re.compile(r"\d{10}|\d{13}")
_MAX_SHOWN_CHARS = 80


def _shown(value: str) -> str:
    """`value` quoted for a message, cut to 80 characters so a dead letter stays small."""
    if len(value) > _MAX_SHOWN_CHARS:
        value = value[: _MAX_SHOWN_CHARS - 1] + "…"
    return repr(value)


def _parse(text: str) -> datetime | None:
    if _EPOCH.fullmatch(text):
        millis = int(text) if len(text) == 13 else int(text) * 1000
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_published(value: str, *, now: datetime, max_future: timedelta) -> datetime:
    """Parse a publication date into an aware UTC datetime.

    Raises `UnparseableDate` if no accepted format reads `value`, `DateOutOfRange` if the
    date is before 1800 or after `now + max_future`, and `ValueError` if `now` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    parsed = _parse(value.strip())
    if parsed is None:
        raise UnparseableDate(f"no known date format reads {_shown(value)}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        published = parsed.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 has no UTC equivalent
        raise DateOutOfRange(f"date {_shown(value)} lies outside the datetime range") from exc
    if published < EARLIEST_PUBLISHED:
        raise DateOutOfRange(
            f"date {iso_utc(published)} is before the earliest allowed "
            f"{iso_utc(EARLIEST_PUBLISHED)}"
        )
    latest = now + max_future
    if published > latest:
        raise DateOutOfRange(
            f"date {iso_utc(published)} is after the latest allowed {iso_utc(latest)} "
            f"(now + {max_future})"
        )
    return published


def iso_utc(dt: datetime) -> str:
    """Format an aware datetime as `YYYY-MM-DDTHH:MM:SSZ` in UTC (fractions dropped)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"iso_utc needs a timezone-aware datetime, got {dt!r}")
    # isoformat, not strftime: it pads years before 1000 to four digits.
    plain = dt.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return plain.isoformat(timespec="seconds") + "Z"
