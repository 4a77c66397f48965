"""The flow as data: which stage reads which topic and writes which, in one table.

Adding a stage is adding a row here and an agent module in `agents/`; nothing else is
rewired.

news.enriched has ONE partition, whatever `partitions` says: dedupe needs a global view
(a copy must meet its original wherever the two were published), so its story index is a
single table fed in one total order. That serialises only the story decision (about a
millisecond per article); NER, the costly stage, still scales across news.clean's
partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARTICLES",
    "CLEAN",
    "DEADLETTER",
    "ENRICHED",
    "PIPELINE_TOPICS",
    "RAW",
    "STAGES",
    "Stage",
    "stage",
    "topic_partitions",
]

RAW = "news.raw"
CLEAN = "news.clean"
ENRICHED = "news.enriched"
ARTICLES = "news.articles"
DEADLETTER = "news.deadletter"


@dataclass(frozen=True, slots=True)
class Stage:
    """One agent: it consumes `source` and produces `sink` (None: it writes the table store)."""

    name: str
    source: str
    sink: str | None


STAGES: tuple[Stage, ...] = (
    Stage("normalize", source=RAW, sink=CLEAN),
    Stage("enrich", source=CLEAN, sink=ENRICHED),
    Stage("dedupe", source=ENRICHED, sink=ARTICLES),
    Stage("store", source=ARTICLES, sink=None),
)

# Every topic the pipeline creates, in flow order; the dead-letter topic last.
PIPELINE_TOPICS: tuple[str, ...] = (RAW, CLEAN, ENRICHED, ARTICLES, DEADLETTER)


def stage(name: str) -> Stage:
    """The stage called `name` (KeyError names the known stages)."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"no stage {name!r}; stages: {', '.join(s.name for s in STAGES)}")


def topic_partitions(name: str, partitions: int) -> int:
    """Partitions of topic `name` when the others have `partitions` (news.enriched: 1)."""
    return 1 if name == ENRICHED else partitions
