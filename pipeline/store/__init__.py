"""The table store: where output articles land, behind one small interface.

`open_store(url)` gives an `ArticleStore` for `sqlite:///PATH` (the embedded default);
PostgreSQL plugs in behind the same interface without touching the agents.
"""

from pipeline.store.base import ArticleStore
from pipeline.store.sql import SqlArticleStore, open_store

__all__ = ["ArticleStore", "SqlArticleStore", "open_store"]
