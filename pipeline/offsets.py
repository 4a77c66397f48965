"""The offset ledger: how far each input partition may be committed, by the pipeline's own count.

A partition's offset is committed only up to the lowest offset that is not done, where
*done* means every record the stage made of it (output or dead letter) has been
acknowledged by Kafka, or its write to the store has committed. Nothing else moves the
commit point: not a record merely taken from the stream, not a batch that failed or was
cancelled (its offsets are `released`, so they stay below the commit point and are read
again after a restart or rebalance), and not a later offset that happens to finish first.

Per partition the ledger keeps:

- `base`: the commit point, the lowest offset not known to be done. It starts at the
  group's committed offset when the partition is assigned (or the log start when the
  group has none) and moves up only over a contiguous run of done offsets;
- `done`: offsets above `base` already done (out of order, or before `base` was known);
- `in_flight`: offsets taken and not yet done or released.

Kafka delivers a partition in offset order, so when the record at `base` was never taken
but a later one was, the consumer skipped it: a *hole*. Either no record lives there
(a transaction marker, a compacted record: `skip` it) or the consumer dropped one. The
ledger only reports holes (`holes`); whoever owns the consumer decides which it is.

Pure bookkeeping: no Kafka, an injected clock, keys are any hashable partition id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["OffsetLedger"]

P = TypeVar("P", bound=Hashable)


@dataclass(slots=True)
class _Partition:
    base: int | None = None
    done: set[int] = field(default_factory=set)
    in_flight: set[int] = field(default_factory=set)
    highest_taken: int = -1
    committed: int | None = None  # the last commit point handed out by `to_commit`
    hole_since: tuple[int, float] | None = None  # (base, when the hole was first seen)
    active_at: float = 0.0  # when a record of it was last taken or done

    def advance(self) -> None:
        if self.base is None:
            return
        done, base = self.done, self.base
        while base in done:
            done.discard(base)
            base += 1
        self.base = base

    def drop_below(self, base: int) -> None:
        self.done = {o for o in self.done if o >= base}
        self.in_flight = {o for o in self.in_flight if o >= base}


class OffsetLedger(Generic[P]):
    """Done offsets per partition, and the commit point each may move to."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._parts: dict[P, _Partition] = {}

    def _part(self, tp: P) -> _Partition:
        part = self._parts.get(tp)
        if part is None:
            part = self._parts[tp] = _Partition()
        return part

    def start(self, tp: P, base: int) -> None:
        """`tp` is ours from `base` on (the committed offset, or the log start): the commit
        point. What was marked done below it is dropped; what is above it counts."""
        part = self._part(tp)
        part.base = part.committed = base
        part.hole_since = None
        part.active_at = self._clock()
        part.drop_below(base)
        part.advance()

    def forget(self, tp: P) -> None:
        """`tp` is no longer ours (revoked)."""
        self._parts.pop(tp, None)

    def taken(self, tp: P, offsets: Iterable[int]) -> None:
        """Records at `offsets` of `tp` were taken from the stream to be worked on."""
        part = self._part(tp)
        part.active_at = self._clock()
        for offset in offsets:
            if part.base is None or offset >= part.base:
                part.in_flight.add(offset)
                part.highest_taken = max(part.highest_taken, offset)

    def take(self, tp: P, offsets: Iterable[int]) -> list[int]:
        """Take those of `offsets` that are not in flight or done already, and return them.

        A consumer can deliver a record twice (Faust's seek when a restarted worker's streams
        start, a re-read of a hole): the second copy is not worked on again."""
        part = self._part(tp)
        base = part.base
        new = [
            offset
            for offset in dict.fromkeys(offsets)
            if not (
                (base is not None and offset < base)
                or offset in part.done
                or offset in part.in_flight
            )
        ]
        self.taken(tp, new)
        return new

    def done(self, tp: P, offsets: Iterable[int]) -> None:
        """Everything made of the records at `offsets` is safely in Kafka (or the store)."""
        part = self._part(tp)
        part.active_at = self._clock()
        for offset in offsets:
            part.in_flight.discard(offset)
            if part.base is None or offset >= part.base:
                part.done.add(offset)
        part.advance()

    def released(self, tp: P, offsets: Iterable[int]) -> None:
        """Work on `offsets` failed or was cancelled: they are not done, and not in flight."""
        part = self._part(tp)
        part.in_flight.difference_update(offsets)

    def skip(self, tp: P, start: int, end: int) -> None:
        """Offsets [start, end) of `tp` hold no record to process (found by asking Kafka)."""
        part = self._part(tp)
        part.done.update(range(start, end))
        part.hole_since = None
        part.advance()

    def busy(self, tp: P) -> bool:
        """Whether records of `tp` are being worked on."""
        part = self._parts.get(tp)
        return part is not None and bool(part.in_flight)

    def base(self, tp: P) -> int | None:
        """The commit point of `tp` (None while it is not known)."""
        part = self._parts.get(tp)
        return None if part is None else part.base

    def to_commit(self, partitions: Iterable[P]) -> dict[P, int]:
        """Commit points of `partitions` that moved since they were last handed out."""
        offsets: dict[P, int] = {}
        for tp in partitions:
            part = self._parts.get(tp)
            if part is not None and part.base is not None and part.base != part.committed:
                offsets[tp] = part.committed = part.base
        return offsets

    def uncommitted(self, offsets: dict[P, int]) -> None:
        """A commit of `offsets` failed: hand them out again next time."""
        for tp in offsets:
            part = self._parts.get(tp)
            if part is not None:
                part.committed = None

    def holes(self, grace: float) -> list[tuple[P, int]]:
        """(partition, offset) where the record at the commit point was never taken although
        a later one was, for at least `grace` seconds."""
        now = self._clock()
        found: list[tuple[P, int]] = []
        for tp, part in self._parts.items():
            base = part.base
            if base is None or base in part.in_flight or part.highest_taken <= base:
                part.hole_since = None
                continue
            if part.hole_since is None or part.hole_since[0] != base:
                part.hole_since = (base, now)
            elif now - part.hole_since[1] >= grace:
                found.append((tp, base))
        return found

    def stalled(self, ends: Mapping[P, int], grace: float) -> list[tuple[P, int]]:
        """(partition, offset) where records from the commit point on exist (`ends`: the
        partitions' end offsets) but none was taken or done for `grace` seconds, and none
        is in flight: the consumer passed them by, or is not reading the partition."""
        now = self._clock()
        return [
            (tp, part.base)
            for tp, part in self._parts.items()
            if part.base is not None
            and part.base < ends.get(tp, part.base)
            and not part.in_flight
            and now - part.active_at >= grace
        ]
