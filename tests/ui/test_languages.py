"""The mix of languages on the dashboard, with English the only NER pipeline (the default).

English, French and German articles go in; the Languages panel counts each, and the
French and German ones are stored untagged (`ner_skipped: "language"`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from browser import TIMEOUT_MS, needs_chromium
from playwright import async_api as playwright

expect = playwright.expect

pytestmark = [pytest.mark.ui, pytest.mark.integration, needs_chromium]

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
FRENCH = [
    "Le président français a reçu mardi le chancelier allemand à l'Élysée pour parler de la "
    "guerre en Ukraine et du budget de l'Union européenne, a annoncé la présidence.",
    "La grève des contrôleurs aériens a entraîné l'annulation de centaines de vols jeudi dans "
    "les aéroports de Paris, selon la direction générale de l'aviation civile.",
]
GERMAN = (
    "Die Bundesregierung hat am Dienstag angekündigt, dass sie die Hilfen für die Ukraine im "
    "kommenden Jahr deutlich aufstocken wird, teilte ein Sprecher in Berlin mit."
)


async def test_the_dashboard_shows_the_mix_of_languages(page: Any, pipeline: Any) -> None:
    seeds = await asyncio.to_thread(pipeline.cli, "publish", str(SEEDS))
    assert seeds.returncode == 0, seeds.stderr
    others = [{"title": f"Article {n}", "body": body} for n, body in enumerate(FRENCH)]
    others.append({"title": "Hilfen", "body": GERMAN})
    await pipeline.asend_raw([orjson.dumps(a) for a in others])
    await expect(page.locator("#stored")).to_have_text("5", timeout=4 * TIMEOUT_MS)

    languages = page.locator("#languages .bar")
    await expect(languages).to_have_count(3)
    for name, count in (("English (en)", "2"), ("French (fr)", "2"), ("German (de)", "1")):
        await expect(page.locator(f'#languages .bar[data-name="{name}"] .bar-n')).to_have_text(
            count
        )

    rows = [orjson.loads(row[1]) for row in pipeline.stored()]
    skipped = {r["language"]: r["ner_skipped"] for r in rows}
    assert skipped == {"en": None, "fr": "language", "de": "language"}
