"""Turning a rejection into a `DeadLetter` record: the reason, the detail and the original bytes."""

from __future__ import annotations

import base64

from pipeline.errors import RejectedArticle
from schemas.deadletter import DeadLetter

__all__ = ["dead_letter"]


def dead_letter(
    error: RejectedArticle,
    *,
    stage: str,
    original: bytes,
    failed_at: float,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | None = None,
) -> DeadLetter:
    """The dead letter for `original`, refused by `stage` with `error`."""
    return DeadLetter(
        stage=stage,
        reason=error.reason,
        message=error.message,
        original=base64.b64encode(original).decode("ascii"),
        failed_at=failed_at,
        source_topic=topic,
        source_partition=partition,
        source_offset=offset,
        key=key.decode("utf-8", "replace") if key is not None else None,
    )
