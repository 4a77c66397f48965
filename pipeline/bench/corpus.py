"""The real articles benchmarks run on, cycled to any count with distinct ids."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from pipeline.sources.files import SAMPLE_NEWS_DIR

__all__ = ["backlog_and_paced", "cycled_raw_records", "load_corpus"]

# The corpora under the shared data folder that benchmarks read (Wikinews, ECB+).
_CORPORA = ("wikinews_en_2019_2021/articles.jsonl", "ecbplus/articles.jsonl")


def load_corpus(data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
    """The real articles under `data_dir` (or the bundled sample news), and where they came from."""
    paths = [data_dir / c for c in _CORPORA] if data_dir else []
    paths = [p for p in paths if p.exists()] or [SAMPLE_NEWS_DIR / "articles.jsonl"]
    articles = [
        orjson.loads(line) for path in paths for line in path.read_bytes().splitlines() if line
    ]
    return articles, ", ".join(str(p) for p in paths)


def cycled_raw_records(
    articles: list[dict[str, Any]], count: int, first: int = 0
) -> Iterator[bytes]:
    """`count` RawArticle JSON records cycling through `articles`, each with its own URL (id)
    (numbered from `first`)."""
    source = itertools.cycle(articles)
    for n in range(first, first + count):
        article = next(source)
        yield orjson.dumps(
            {
                "title": article.get("title"),
                "body": article["text"],
                # A distinct URL per copy gives a distinct article id (.invalid never resolves).
                "url": f"https://bench.newswire.invalid/{n}",
                "published": article.get("date"),
                "source": article.get("source"),
                "language": article.get("language"),
            }
        )


def backlog_and_paced(
    articles: list[dict[str, Any]], count: int
) -> tuple[list[bytes], list[bytes]]:
    """`count` records for a backlog, and `count` others for a paced run.

    The paced ones cycle through the corpus in a seeded random order: taken where the
    backlog stopped, they would be a run of one corpus (Wikinews is longer than ECB+) and
    load NER more than the backlog it is paced against.
    """
    shuffled = random.Random(0).sample(articles, len(articles))
    return (
        list(cycled_raw_records(articles, count)),
        list(cycled_raw_records(shuffled, count, first=count)),
    )
