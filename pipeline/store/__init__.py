"""The table store: where output articles land, behind one small interface.

`open_store(url)` gives an `ArticleStore` for `sqlite:///PATH` (the embedded default) or
`postgresql://USER@HOST:PORT/DB` (the shared, production store), the same class on both.
"""

from pipeline.store.base import ArticleStore
from pipeline.store.sql import SqlArticleStore, open_store

__all__ = ["ArticleStore", "SqlArticleStore", "open_store"]
