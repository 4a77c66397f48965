"""The audit: did every record on news.raw reach every hop, or a dead letter with its reason?

Each raw record is traced by the id normalize gives it (computed here the same way, by
`normalize_record`) through the hops of the flow: news.clean, news.enriched,
news.articles and the store. A record is accounted for at a hop when its id arrived there,
or when a stage at or before that hop dead-lettered it (normalize's letters name the raw
`partition@offset`; later stages' letters are keyed by the article id). Anything else is
lost, and the report names it with its raw `partition@offset`.

Topics may hold the same id more than once (at-least-once redelivery, or the same article
published twice): that is reported, not counted as a fault. The store is keyed by id, so a
second row of one id is a fault.

`audit` is pure: it takes what was read, in any order, and returns the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AuditReport",
    "DeadLetterRef",
    "Hop",
    "HopReport",
    "Missing",
    "RawRecord",
    "audit",
    "report_lines",
]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One news.raw record as read: where it sits and its bytes."""

    partition: int
    offset: int
    value: bytes
    timestamp: float  # seconds, the broker's record timestamp

    @property
    def where(self) -> str:
        return f"{self.partition}@{self.offset}"


@dataclass(frozen=True, slots=True)
class DeadLetterRef:
    """What the audit needs of one dead letter: who refused what."""

    stage: str
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    key: str | None


@dataclass(frozen=True, slots=True)
class Missing:
    """A record that did not reach a hop: its article id (or why it has none) and raw place."""

    article_id: str
    where: str


@dataclass(slots=True)
class HopReport:
    """One hop: how many of the expected ids arrived, which are missing, which came twice."""

    name: str
    expected: int
    arrived: int
    missing: list[Missing] = field(default_factory=list)
    repeated: dict[str, int] = field(default_factory=dict)  # id -> times seen (> 1)
    unexpected: int = 0  # ids that no raw record explains (older raw records past retention)
    repeats_are_faults: bool = False  # the store: a second row of one id is a fault


@dataclass(slots=True)
class AuditReport:
    """The whole audit: the raw records, their dead letters and every hop."""

    raw: int
    dead_lettered: Counter[str]  # stage -> raw records dead-lettered there
    hops: list[HopReport]

    @property
    def lost(self) -> list[Missing]:
        """Every record missing at some hop, once, at the first hop it is missing from."""
        seen: set[str] = set()
        lost: list[Missing] = []
        for hop in self.hops:
            for m in hop.missing:
                if m.article_id not in seen:
                    seen.add(m.article_id)
                    lost.append(m)
        return lost

    @property
    def duplicate_rows(self) -> int:
        """Extra rows of one id where a second copy is a fault (the store)."""
        return sum(
            n - 1 for hop in self.hops if hop.repeats_are_faults for n in hop.repeated.values()
        )

    @property
    def ok(self) -> bool:
        return not self.lost and self.duplicate_rows == 0


@dataclass(frozen=True, slots=True)
class Hop:
    """One place records reach: its name, the stage writing it, and the ids found there.

    Dead letters of `stage` (and of every stage before it) excuse an id from this hop on.
    `keyed`: the place holds one row per id (the store), so a second copy is a fault.
    """

    name: str
    stage: str
    ids: Iterable[str]
    keyed: bool = False


ArticleIdOf = Callable[[RawRecord], str]
"""The id normalize gives a raw record; raises for a record normalize refuses."""


def audit(
    raw: Iterable[RawRecord],
    article_id_of: ArticleIdOf,
    dead_letters: Iterable[DeadLetterRef],
    *,
    raw_topic: str,
    hops: Sequence[Hop],
    refusals: tuple[type[Exception], ...],
) -> AuditReport:
    """Trace each raw record through `hops`, in flow order.

    `refusals` are the exceptions `article_id_of` raises for a record normalize refuses:
    such a record must have a dead letter naming its raw place, or it is lost at the first
    hop.
    """
    letters = list(dead_letters)
    refused_raw = {
        (letter.source_partition, letter.source_offset): letter.stage
        for letter in letters
        if letter.source_topic == raw_topic
    }
    refused_by_id = {
        letter.key: letter.stage
        for letter in letters
        if letter.source_topic != raw_topic and letter.key is not None
    }

    expected: dict[str, str] = {}  # article id -> raw place of its first record
    unexplained: list[Missing] = []  # normalize refuses it, yet no dead letter says so
    dead_lettered: Counter[str] = Counter()
    count = 0
    for record in raw:
        count += 1
        stage = refused_raw.get((record.partition, record.offset))
        if stage is not None:
            dead_lettered[stage] += 1
            continue
        try:
            article_id = article_id_of(record)
        except refusals as error:
            unexplained.append(Missing(f"(refused: {error}; no dead letter)", record.where))
            continue
        expected.setdefault(article_id, record.where)
    dead_lettered.update(s for i, s in refused_by_id.items() if i in expected)

    stages_so_far: set[str] = set()
    reports: list[HopReport] = []
    for hop in hops:
        stages_so_far.add(hop.stage)
        wanted = expected.keys() - {i for i, s in refused_by_id.items() if s in stages_so_far}
        counts = Counter(hop.ids)
        missing = sorted(
            (Missing(i, expected[i]) for i in wanted - counts.keys()),
            key=lambda m: _place_key(m.where),
        )
        if not reports:
            missing = unexplained + missing
        reports.append(
            HopReport(
                name=hop.name,
                expected=len(wanted) + (len(unexplained) if not reports else 0),
                arrived=len(wanted & counts.keys()),
                missing=missing,
                repeated={i: c for i, c in counts.items() if c > 1},
                unexpected=len(counts.keys() - expected.keys()),
                repeats_are_faults=hop.keyed,
            )
        )
    return AuditReport(raw=count, dead_lettered=dead_lettered, hops=reports)


def _place_key(where: str) -> tuple[int, int]:
    partition, _, offset = where.partition("@")
    return int(partition), int(offset)


def report_lines(report: AuditReport, show: int = 10) -> list[str]:
    """The report as the terminal shows it: one line per hop, then what is missing."""
    letters = ", ".join(f"{stage} {n:,}" for stage, n in sorted(report.dead_lettered.items()))
    lines = [f"news.raw: {report.raw:,} records; dead-lettered: {letters or 'none'}"]
    for hop in report.hops:
        repeated = sum(n - 1 for n in hop.repeated.values())
        extra = f", {hop.unexpected:,} not from news.raw" if hop.unexpected else ""
        kind = "duplicate rows" if hop.repeats_are_faults else "repeated (allowed)"
        lines.append(
            f"  {hop.name:<16} arrived {hop.arrived:,} of {hop.expected:,}; "
            f"missing {len(hop.missing):,}; {kind} {repeated:,}{extra}"
        )
        for m in hop.missing[:show]:
            lines.append(f"    missing {m.article_id} (news.raw {m.where})")
        if len(hop.missing) > show:
            lines.append(f"    … and {len(hop.missing) - show:,} more")
    lost, dup = len(report.lost), report.duplicate_rows
    lines.append(
        "OK: nothing lost, no duplicate rows"
        if report.ok
        else f"LOST {lost:,}, duplicate rows {dup:,}"
    )
    return lines
