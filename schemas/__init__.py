"""Record contracts: one versioned model per topic, each exported as a JSON Schema file.

`raw.RawArticle` on news.raw, `article.CleanArticle` on news.clean, `article.Article`
on news.articles (and in the store), `deadletter.DeadLetter` on news.deadletter.
"""

from schemas.article import Article, CleanArticle, EnrichedArticle, Entity
from schemas.deadletter import DeadLetter, DeadLetterReason
from schemas.raw import RawArticle

__all__ = [
    "Article",
    "CleanArticle",
    "DeadLetter",
    "DeadLetterReason",
    "EnrichedArticle",
    "Entity",
    "RawArticle",
]
