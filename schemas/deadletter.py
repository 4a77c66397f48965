"""news.deadletter: a record a stage could not accept, with the reason and the original bytes."""

from typing import Literal, get_args

import faust

from schemas.codec import RECORD_OPTIONS

__all__ = ["DEAD_LETTER_REASONS", "DeadLetter", "DeadLetterReason"]

DeadLetterReason = Literal[
    "not_json",
    "schema_violation",
    "missing_body",
    "body_too_short",
    "too_large",
    "unparseable_date",
    "date_out_of_range",
    "bad_url",
    "ner_failed",
]
DEAD_LETTER_REASONS: tuple[str, ...] = get_args(DeadLetterReason)


class DeadLetter(faust.Record, **RECORD_OPTIONS):
    """Why `stage` refused a record: `reason` is a stable code, `message` the detail.

    `original` is the record's bytes as read, base64-encoded, so nothing is lost;
    `source_*` locate it as `topic[partition]@offset`.
    """

    stage: str
    reason: DeadLetterReason
    message: str
    original: str
    failed_at: float
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    key: str | None = None
    schema_version: int = 1
