"""Named things, not dates, in the dashboard: trending, the stories panel, suggestions.

On the bundled sample, the small English model tags weekdays as DATE ("Wednesday" is in
many articles): the records keep them, the dashboard shows none of them.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from typing import Any

import orjson
import pytest
from browser import TIMEOUT_MS, needs_chromium
from playwright import async_api as playwright

from pipeline.entities import NAMED_LABELS
from pipeline.sources.files import SAMPLE_NEWS_DIR

expect = playwright.expect

pytestmark = [pytest.mark.ui, pytest.mark.integration, needs_chromium]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return orjson.loads(response.read())


async def _labels(chips: Any) -> list[str]:
    classes = await chips.evaluate_all("nodes => nodes.map(n => n.className)")
    return [c.split("label-", 1)[1] for c in classes]


async def test_the_dashboard_shows_named_things_and_the_records_keep_dates(
    page: Any, pipeline: Any, dashboard_url: str
) -> None:
    sample = await asyncio.to_thread(pipeline.cli, "publish", str(SAMPLE_NEWS_DIR))
    assert sample.returncode == 0, sample.stderr
    await expect(page.locator("#stored")).to_have_text("40", timeout=4 * TIMEOUT_MS)

    # The records keep their dates: the sample's weekdays are there.
    records = _get(f"{dashboard_url}api/articles?limit=100&body=0")["articles"]
    dates = {e["text"] for a in records for e in a["entities"] if e["label"] == "DATE"}
    assert dates & set(WEEKDAYS)

    # Trending: ten named things, no weekday.
    trending = page.locator("#entities .chip")
    await expect(trending).to_have_count(10)
    assert set(await _labels(trending)) <= NAMED_LABELS
    for day in WEEKDAYS:
        await expect(trending.filter(has_text=day)).to_have_count(0)

    # Stories: each story shows the named things of its articles.
    story_chips = page.locator("#stories li .chip")
    await expect(story_chips.first).to_be_visible()
    assert set(await _labels(story_chips)) <= NAMED_LABELS
    # The live stream shows named things only too.
    article_chips = page.locator("#articles li.article .chip")
    await expect(article_chips.first).to_be_visible()
    assert set(await _labels(article_chips)) <= NAMED_LABELS

    # Suggestions: what the filter box offers, as the user types.
    box = page.locator("#entity-filter")
    await box.fill("Put")  # "Vladimir Putin": in the sample
    await expect(page.locator('#entity-suggestions option[value*="Putin"]')).to_have_count(1)
    suggested = await page.locator("#entity-suggestions option").evaluate_all(
        "nodes => nodes.map(n => [n.value, n.label])"
    )
    assert all(label.split(" · ")[0] in NAMED_LABELS for _, label in suggested), suggested
    wed = _get(f"{dashboard_url}api/entities?prefix=Wed&limit=100")["entities"]
    assert "Wednesday" not in {e["text"] for e in wed}

    # Choosing an entity (a trending chip) shows only the articles that name it.
    chosen = await trending.first.get_attribute("data-entity")
    assert chosen
    await trending.first.click()
    await expect(page.locator("#stream-hint")).to_have_text(f"naming {chosen}, newest first")
    query = urllib.parse.urlencode({"entity": chosen, "limit": 100, "body": 0})
    naming = _get(f"{dashboard_url}api/articles?{query}")["articles"]
    await expect(page.locator("#articles li.article")).to_have_count(min(len(naming), 30))
