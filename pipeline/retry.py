"""Retrying an async operation until it succeeds, with capped exponential back-off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["backoff_delays", "retry_forever"]

log = logging.getLogger(__name__)
T = TypeVar("T")


def backoff_delays(first: float, cap: float, factor: float = 2.0) -> Callable[[int], float]:
    """The delay before retry `n` (1-based): first, first·factor, …, never more than cap."""
    return lambda n: min(cap, first * factor ** (n - 1))


async def retry_forever(
    operation: Callable[[], Awaitable[T]],
    *,
    what: str,
    retry_on: tuple[type[BaseException], ...],
    first: float = 0.5,
    cap: float = 30.0,
) -> T:
    """Await `operation()` until it returns; errors in `retry_on` are logged and retried.

    For sinks that must not lose data: the caller does not acknowledge its input until
    this returns, so a worker stopped while it retries redelivers the input later.
    """
    delay = backoff_delays(first, cap)
    attempt = 0
    while True:
        try:
            return await operation()
        except retry_on as error:
            attempt += 1
            wait = delay(attempt)
            log.warning("%s failed (attempt %d: %s); retrying in %.1fs", what, attempt, error, wait)
            await asyncio.sleep(wait)
