"""Why a record is refused. Pure code raises these; agents turn them into dead letters.

    RejectedArticle                  any record a stage cannot accept (reason: a stable code)
    ├── NotJson                      not_json: the bytes are not a JSON object
    ├── SchemaViolation              schema_violation: JSON, but not the topic's contract
    │   └── MissingBody              missing_body: no `body` at all
    ├── BodyTooShort                 body_too_short: empty or shorter than the minimum
    ├── TooLarge                     too_large: over the size limit
    ├── UnparseableDate              unparseable_date: a date no known format reads
    ├── DateOutOfRange               date_out_of_range: parsed, but absurd (far future, < 1800)
    ├── BadUrl                       bad_url: not an absolute http(s) URL
    └── NerFailed                    ner_failed: spaCy raised on this article

Anything else raised inside an agent is a bug: the worker logs it loudly.
"""

from __future__ import annotations

from typing import ClassVar

from schemas.deadletter import DeadLetterReason

__all__ = [
    "BadUrl",
    "BodyTooShort",
    "DateOutOfRange",
    "MissingBody",
    "NerFailed",
    "NotJson",
    "RejectedArticle",
    "SchemaViolation",
    "TooLarge",
    "UnparseableDate",
]


class RejectedArticle(Exception):
    """A record that a stage refuses; `reason` is the dead-letter reason code."""

    reason: ClassVar[DeadLetterReason]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotJson(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "not_json"


class SchemaViolation(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "schema_violation"


class MissingBody(SchemaViolation):
    reason: ClassVar[DeadLetterReason] = "missing_body"


class BodyTooShort(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "body_too_short"


class TooLarge(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "too_large"


class UnparseableDate(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "unparseable_date"


class DateOutOfRange(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "date_out_of_range"


class BadUrl(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "bad_url"


class NerFailed(RejectedArticle):
    reason: ClassVar[DeadLetterReason] = "ner_failed"
