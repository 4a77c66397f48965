"""The flow as data: which stage reads which topic and writes which, in one table.

Adding a stage is adding a row here and an agent module in `agents/`; nothing else is
rewired. Until dedupe exists, `promote` carries enriched articles straight on to
news.articles as output records with no story decision.
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
    Stage("promote", source=ENRICHED, sink=ARTICLES),
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
