"""Work that a stop must not cut in half: a database statement, a publish and its record.

Stopping polling (Ctrl-C on `newswire feeds run`, a worker shutting down) cancels the task
that polls. Cancelled at an arbitrary await, a transaction would be abandoned inside the
database driver's thread (SQLAlchemy then invalidates and closes the aiosqlite connection
while the statement still runs, and the event loop may close under it), and articles Kafka
already acknowledged would never be marked seen, so the next run would publish them again.

`run_to_end(work)` runs `work` in a task of its own and, when the caller is cancelled
meanwhile, waits for the work to end before the cancellation goes on. Work passed here must
be short and bounded: statements, or a send bounded by the producer's own timeouts.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

__all__ = ["run_to_end", "whole"]

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


async def run_to_end(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`; if the caller is cancelled first, let `work` end, then re-raise."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})  # never raises: the work's own outcome is read below
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("stopping: unfinished work failed: %r", exc)
        raise


def whole(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate an async function so a cancelled caller never cuts it short (`run_to_end`)."""

    @functools.wraps(method)
    async def uncut(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_to_end(method(*args, **kwargs))

    return uncut
