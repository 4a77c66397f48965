"""The store interface the agents and the API depend on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.article import Article

__all__ = ["ArticleStore"]


class ArticleStore(Protocol):
    """An idempotent sink of output articles, keyed by article id."""

    async def open(self) -> None:
        """Connect and create or migrate the schema."""

    async def close(self) -> None:
        """Release connections."""

    async def upsert(self, articles: Sequence[Article]) -> None:
        """Insert or replace by id in one transaction: a redelivered article never adds a row."""

    async def get(self, article_id: str) -> Article | None:
        """The stored article with this id, if any."""

    async def count(self) -> int:
        """How many articles are stored."""

    async def ids(self) -> list[str]:
        """Every stored article id (for the audit)."""

    async def latest(self, limit: int = 20) -> list[Article]:
        """The most recently stored articles, newest first."""
