"""The read-only JSON API over the table store and the live figures.

- `GET /api/articles?entity=&story=&source=&since=&limit=&body=`: matching articles, most
  recently stored first (filters: `pipeline.web.queries`; `body=0` leaves bodies out);
- `GET /api/articles/{id}`: one article (404 if unknown);
- `GET /api/stories/{id}`: the articles of one story in publication order (404 if none);
- `GET /api/stats`: the dashboard's figures (`pipeline.web.stats`);
- `GET /api/entities?prefix=&limit=`: named entities of the newest articles, most articles
  first: suggestions for `?entity=` (dates and other values are never suggested).

Every article is its output record (`schemas/article.schema.json`) plus `stored_at`.
"""

from __future__ import annotations

from faust.web import Request, Response, View

from pipeline.app import app
from pipeline.web.http import as_aiohttp, error, json_response, truthy
from pipeline.web.live import reader, stats
from pipeline.web.queries import ArticleFilters, BadQuery

__all__ = ["ArticleView", "ArticlesView", "EntitiesView", "StatsView", "StoryView"]

SUGGESTIONS = 10  # default and
MAX_SUGGESTIONS = 100  # largest `limit` of /api/entities


@app.page("/api/articles", name="api_articles")
class ArticlesView(View):
    """Matching articles, newest first."""

    async def get(self, request: Request) -> Response:
        query = as_aiohttp(request).query
        try:
            filters = ArticleFilters.from_query(query)
        except BadQuery as exc:
            return error(400, str(exc))
        items = await reader.articles(filters, body=truthy(query.get("body"), True))
        return json_response({"filters": filters.asdict(), "articles": items})


@app.page("/api/articles/{article_id}", name="api_article")
class ArticleView(View):
    """One article, body included."""

    async def get(self, request: Request, article_id: str) -> Response:
        item = await reader.article(article_id)
        if item is None:
            return error(404, f"no article {article_id!r}")
        return json_response(item)


@app.page("/api/stories/{story_id}", name="api_story")
class StoryView(View):
    """The articles of one story."""

    async def get(self, request: Request, story_id: str) -> Response:
        body = truthy(as_aiohttp(request).query.get("body"), False)
        items = await reader.story(story_id, body=body)
        if not items:
            return error(404, f"no story {story_id!r}")
        return json_response({"story_id": story_id, "articles": items})


@app.page("/api/stats", name="api_stats")
class StatsView(View):
    """The dashboard's figures."""

    async def get(self, request: Request) -> Response:
        return json_response(await stats.get())


@app.page("/api/entities", name="api_entities")
class EntitiesView(View):
    """Named-entity suggestions for the `?entity=` filter."""

    async def get(self, request: Request) -> Response:
        query = as_aiohttp(request).query
        try:
            limit = int(query.get("limit", SUGGESTIONS))
        except ValueError:
            return error(400, "limit must be an integer")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            return error(400, f"limit must be between 1 and {MAX_SUGGESTIONS}")
        prefix = query.get("prefix", "")
        return json_response({"prefix": prefix, "entities": await reader.entities(prefix, limit)})
