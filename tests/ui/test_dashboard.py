"""The dashboard in a real browser (Debian's Chromium) against a live worker on a real broker.

Publishes the seeds and checks the page shows them in the live stream, a rising processed
count, and a dead letter after a malformed record; every step waits on a condition in the
page. A screenshot is saved to `test-artifacts/dashboard.png`.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from browser import TIMEOUT_MS, needs_chromium
from playwright import async_api as playwright
from waiting import await_until

from pipeline.sources.files import SAMPLE_NEWS_DIR

expect = playwright.expect

pytestmark = [pytest.mark.ui, pytest.mark.integration, needs_chromium]

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


@pytest.fixture
def screenshot() -> Path:
    """Where the test saves its screenshot (the folder is gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / "dashboard.png"


async def number(page: Any, selector: str) -> int:
    return int((await page.locator(selector).text_content() or "0").replace(",", ""))


async def test_dashboard_shows_articles_a_rising_count_and_dead_letters(
    page: Any, pipeline: Any, screenshot: Path
) -> None:
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")

    # The bundled sample first, as `make demo` does: the story decision weighs words by
    # how rare they are, which needs more than two articles seen.
    sample = await asyncio.to_thread(pipeline.cli, "publish", str(SAMPLE_NEWS_DIR))
    assert sample.returncode == 0, sample.stderr
    await expect(page.locator("#stored")).to_have_text("40", timeout=4 * TIMEOUT_MS)
    result = await asyncio.to_thread(pipeline.cli, "publish", str(SEEDS))
    assert result.returncode == 0, result.stderr
    articles = page.locator("#articles li.article")
    seeds = [articles.filter(has_text=t) for t in ("Azerbaijan Launches", "Amid rising tensions")]
    for seed in seeds:
        await expect(seed).to_have_count(1)
    ids = [await seed.get_attribute("data-id") for seed in seeds]
    # The seeds are one story: the one dedupe saw second says so, and the stories panel
    # counts both. (The sample's own decisions depend on the order its articles reach
    # dedupe from news.clean's partitions, so only the seeds' are asserted.)
    joined = articles.filter(has_text=re.compile(f"same story as ({ids[0]}|{ids[1]})"))
    await expect(joined).to_have_count(1)
    seed_story = page.locator("#stories li").filter(
        has_text=re.compile("Azerbaijan Launches|Amid rising tensions")
    )
    await expect(seed_story).to_contain_text("2 articles")
    # A line per stage in the stage-latency chart, and a legend entry per stage.
    await expect(page.locator("#stage-latency-chart path")).not_to_have_count(0)
    await expect(page.locator("#stage-latency-legend .key")).to_have_count(4)
    # NER's cost on the enrich node, the decisions on the dedupe node.
    await expect(page.locator('.node.agent[data-stage="enrich"]')).to_contain_text("words/s")
    await expect(page.locator('.node.agent[data-stage="dedupe"]')).to_contain_text(
        re.compile(r"\d+ new · \d+ dup · [1-9]\d* same")
    )

    async def counted_seeds() -> bool:
        return await number(page, "#processed") >= 2

    # Polled from here: `page.wait_for_function` evaluates with `eval`, which the
    # dashboard's Content-Security-Policy forbids.
    await await_until(counted_seeds, TIMEOUT_MS / 1000, "the processed count to reach 2")
    before = await number(page, "#processed")
    more = orjson.dumps(
        {"title": "A third article", "body": "Published while the dashboard is open, to count."}
    )
    await pipeline.asend_raw([more])

    async def rose() -> bool:
        return await number(page, "#processed") > before

    await await_until(rose, TIMEOUT_MS / 1000, "the processed count to rise")
    await expect(articles.filter(has_text="A third article")).to_have_count(1)

    await pipeline.asend_raw([b'{"title": "broken'])
    dead = page.locator('#dl-latest li[data-reason="not_json"]')
    await expect(dead).to_have_count(1)
    await expect(dead).to_contain_text("normalize")
    await expect(page.locator("#deadletters")).to_have_text("1")
    await expect(page.locator('.node.agent[data-stage="normalize"]')).to_contain_text(
        "1 dead letter"
    )

    await page.screenshot(path=str(screenshot), full_page=True)
