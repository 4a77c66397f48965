"""The process pool that runs NER off the event loop: `NerPool`.

The agent never imports spaCy: it awaits `NerPool.run`, which sends a batch to a worker
process running `process_batch` (`pipeline.ner`). Each process loads its model once, in
`init_worker`, and warms it up before `NerPool.start` returns: no article pays for loading.

With `finishers`, `NerPool` runs `tag_batch` in the NER processes and `finish_batch` in
processes of its own, so the NER processes (the stage's bottleneck) run spaCy alone and
the finishing, about 5 % of their work, takes a core the event loop leaves idle. Either way
the per-article CPU of both NLP stages runs off the event loop, which leaves the serial
dedupe stage only its decision.

Everything a pool process runs (`pipeline.ner`'s batch functions and initializers, and
`_init_pool_process`, `_warmed_up` and `_timed` here) is a top-level function: a spawned
process finds it by name.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing.synchronize import Barrier
from typing import Any, Literal, TypeVar

from pipeline.ner import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_CHARS,
    NerRequest,
    NerResult,
    finish_batch,
    init_finisher,
    init_worker,
    process_batch,
    tag_batch,
)
from pipeline.ner_models import NerModelError
from pipeline.processes import ignore_interrupts
from pipeline.stories import DedupeSettings

__all__ = ["NerPool", "NerStats"]

_R = TypeVar("_R")


@dataclass(slots=True)
class _PoolProcessState:
    """This pool process's start-up state, set by `_init_pool_process`."""

    barrier: Barrier | None = None  # NerPool's start-up rendezvous
    failure: Exception | None = None  # why init failed, raised by the warm-up task


_state = _PoolProcessState()


def _exit_with(parent: int, interval: float = 1.0) -> None:
    """Exit this process once `parent` is gone (a worker killed with SIGKILL never says so)."""
    while os.getppid() == parent:
        time.sleep(interval)  # a daemon thread's poll, not synchronisation
    os._exit(0)


def _init_pool_process(init: Callable[..., None], args: tuple[Any, ...], barrier: Barrier) -> None:
    """Initializer of a pool process: `init(*args)` (`init_worker` or `init_finisher`)."""
    ignore_interrupts()  # the worker stops its pool processes by closing the pool
    # A pool process blocks reading its task queue, which stays open when the worker dies
    # without shutting the pool down: it would live on, model loaded, as an orphan.
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    # An initializer that raises only breaks the pool ("terminated abruptly"): keep the
    # error for the warm-up task to raise, where NerPool.start sees it.
    _state.barrier = barrier
    try:
        init(*args)
    except Exception as exc:
        _state.failure = exc


def _warmed_up(timeout: float) -> int:
    """Warm-up task: return once every pool process has initialised (a barrier)."""
    assert _state.barrier is not None
    if _state.failure is not None:
        _state.barrier.abort()
        raise _state.failure
    _state.barrier.wait(timeout)  # one task per process: all N must be here at once
    return os.getpid()


def _start_pool(
    context: multiprocessing.context.BaseContext,
    processes: int,
    init: Callable[..., None],
    args: tuple[Any, ...],
    timeout: float,
) -> ProcessPoolExecutor:
    """`processes` processes, each initialised by `init(*args)`, all started and warm."""
    barrier = context.Barrier(processes)
    executor = ProcessPoolExecutor(processes, context, _init_pool_process, (init, args, barrier))
    try:
        # With spawn and forkserver the pool starts a process per submit while none is
        # idle, and no warm-up task ends before all are at the barrier: N tasks, N processes.
        tasks = [executor.submit(_warmed_up, timeout) for _ in range(processes)]
        failures = [t.exception() for t in tasks]
        for failure in sorted(failures, key=lambda f: not isinstance(f, NerModelError)):
            if failure is not None:
                raise failure
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return executor


def _timed(
    work: Callable[[list[NerRequest]], list[_R]], requests: list[NerRequest]
) -> tuple[list[_R], float]:
    started = time.perf_counter()
    results = work(requests)
    return results, time.perf_counter() - started


@dataclass(slots=True)
class NerStats:
    """Counters since start. `busy_seconds` is NER processes' time on the batches
    (`tag_batch`, or `process_batch` without finishers), `finish_seconds` finishing
    processes' time (`finish_batch`); `last_batch_seconds` is the last batch's latency as
    the caller saw it, queueing included; `in_flight` counts batches submitted and not yet
    answered (the pool's queue depth)."""

    articles: int = 0
    words: int = 0
    batches: int = 0
    errors: int = 0
    truncated: int = 0
    busy_seconds: float = 0.0
    finish_seconds: float = 0.0
    last_batch_seconds: float = 0.0
    last_batch_size: int = 0
    in_flight: int = 0


class NerPool:
    """NER processes running `tag_batch`, each with its model loaded and warm, and
    `finishers` processes running `finish_batch` on what they tagged (0: the NER processes
    run `process_batch`, both steps).

    Processes are started with "spawn" by default: a fresh interpreter shares nothing with
    the worker's threads and event loop (forking after aiokafka and faust have started is
    unsafe), and it behaves the same on Linux and macOS. Its cost, importing spaCy and
    loading the model, is paid once in `start`, never by an article.
    """

    def __init__(
        self,
        *,
        processes: int = 1,
        finishers: int = 0,
        model: str | Mapping[str, str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        sketch_settings: DedupeSettings | None = None,
        start_method: Literal["spawn", "forkserver"] = "spawn",
        start_timeout: float = 300.0,
    ) -> None:
        if processes < 1 or finishers < 0:
            raise ValueError(f"NER processes must be ≥ 1, finishers ≥ 0: {processes}, {finishers}")
        self._processes, self._finishers = processes, finishers
        # The NER processes sketch only when nobody else finishes their batches.
        ner_sketch = None if finishers else sketch_settings
        self._ner_args = (model, max_chars, batch_size, ner_sketch)
        self._finish_args = (max_chars, sketch_settings)
        self._start_method = start_method
        self._start_timeout = start_timeout
        self._executor: ProcessPoolExecutor | None = None
        self._finisher: ProcessPoolExecutor | None = None
        self._stats = NerStats()

    @property
    def stats(self) -> NerStats:
        """A copy of the counters."""
        return replace(self._stats)

    async def start(self) -> None:
        """Start the processes and return when every one has loaded and warmed up its model.

        Raises `NerModelError` if the model cannot be loaded.
        """
        if self._executor is None:
            self._executor, self._finisher = await asyncio.to_thread(self._start_processes)

    def _start_processes(self) -> tuple[ProcessPoolExecutor, ProcessPoolExecutor | None]:
        context = multiprocessing.get_context(self._start_method)
        timeout = self._start_timeout
        executor = _start_pool(context, self._processes, init_worker, self._ner_args, timeout)
        if not self._finishers:
            return executor, None
        try:
            args = self._finish_args
            return executor, _start_pool(context, self._finishers, init_finisher, args, timeout)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise

    async def run(self, requests: Sequence[NerRequest]) -> list[NerResult]:
        """NER for one batch in the pool's processes; the event loop stays free meanwhile."""
        if self._executor is None:
            raise RuntimeError("NerPool.run() called before start()")
        loop = asyncio.get_running_loop()
        stats = self._stats
        started = time.perf_counter()
        batch = [*requests]
        stats.in_flight += 1
        try:
            if self._finisher is None:
                results, busy = await loop.run_in_executor(
                    self._executor, _timed, process_batch, batch
                )
            else:
                # The NER process takes its next batch while this one is finished elsewhere.
                tags, busy = await loop.run_in_executor(self._executor, _timed, tag_batch, batch)
                finish = functools.partial(finish_batch, tags=tags)
                results, finishing = await loop.run_in_executor(
                    self._finisher, _timed, finish, batch
                )
                stats.finish_seconds += finishing
        finally:
            stats.in_flight -= 1
        stats.last_batch_seconds = time.perf_counter() - started
        stats.last_batch_size = len(results)
        stats.busy_seconds += busy
        stats.batches += 1
        stats.articles += len(results)
        stats.words += sum(r.words for r in results)
        stats.errors += sum(r.error is not None for r in results)
        stats.truncated += sum(r.truncated for r in results)
        return results

    async def close(self) -> None:
        """Stop the processes, waiting for running batches; queued ones are cancelled."""
        executors = self._executor, self._finisher
        self._executor = self._finisher = None
        for executor in executors:
            if executor is not None:
                await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
