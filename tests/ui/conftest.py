"""UI tests reuse the integration fixtures (an isolated pipeline on the real broker, `wait`)
and share a worker with its dashboard and a page of it in Chromium.

They live in `tests/integration/conftest.py`, which pytest only applies below that folder, so
this conftest loads that file by path and exposes the same fixture objects here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from playwright import async_api as playwright

from pipeline.broker import free_port

_path = Path(__file__).parents[1] / "integration" / "conftest.py"
_spec = importlib.util.spec_from_file_location("newswire_integration_fixtures", _path)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fixtures  # dataclasses look their module up there
_spec.loader.exec_module(_fixtures)

pipeline = _fixtures.pipeline
wait = _fixtures.wait


@pytest.fixture(scope="module")
def dashboard_url(pipeline: Any) -> Iterator[str]:
    """A worker with its web server on a known port; yields the dashboard's URL."""
    port = free_port()
    proc = pipeline.start_worker("ui", NEWSWIRE_WEB_PORT=str(port))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        pipeline.stop_worker(proc, "ui")


@pytest.fixture
async def page(dashboard_url: str) -> AsyncIterator[Any]:
    """The dashboard in headless Chromium; fails the test on any error in the page's console."""
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            playwright.expect.set_options(timeout=TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            deadline = time.monotonic() + 90
            while True:  # the worker's web server comes up a few seconds after its start
                try:
                    await page.goto(dashboard_url)
                    break
                except playwright.Error:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)  # poll interval while the server starts
            yield page
            assert errors == [], f"errors in the page's console: {errors}"
        finally:
            await browser.close()
