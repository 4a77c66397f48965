"""When a feed is polled next: its interval with jitter, or exponential back-off after errors.

    next poll = now + interval · (1 + u),            u uniform in [-jitter, +jitter]
    after n ≥ 1 consecutive failures:
    next poll = now + max(interval, min(interval · 2^(n-1), max_backoff)) · (1 + u)

Jitter spreads feeds added together (an OPML import) so they do not poll in lock-step.
"""

from __future__ import annotations

import random
import re
from typing import Final

__all__ = ["next_poll_delay", "parse_interval"]

_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)


def parse_interval(text: str) -> float:
    """`90`, `90s`, `5m`, `1.5h`, `1d` as seconds; raises ValueError naming the problem."""
    match = _INTERVAL.fullmatch(text)
    if not match:
        raise ValueError(f"interval {text!r} is not a number with an optional unit s, m, h or d")
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"interval {text!r} must be positive")
    return seconds


def next_poll_delay(
    interval: float,
    failures: int,
    *,
    jitter: float,
    max_backoff: float,
    rng: random.Random,
) -> float:
    """Seconds until the next poll of a feed with `failures` consecutive failed polls."""
    base = interval
    if failures > 0:
        base = max(interval, min(interval * 2 ** (failures - 1), max_backoff))
    return base * (1.0 + rng.uniform(-jitter, jitter))
