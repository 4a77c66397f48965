"""`newswire feeds run` stopped with Ctrl-C, as a terminal sends it (SIGINT to the whole
process group): exit status 0, one line saying what it published, no traceback, and
nothing lost or doubled. A local site serves a quick feed (the real heise feed and pages)
and a slow one whose pages hang until the test lets them go, so the stop always lands
in the middle of a poll: after the quick feed's items were published, before the slow
feed's were.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from feedserver import FeedServer
from newsfixtures import local_heise_feed, page, page_for_path

from pipeline.topic_read import read_topic
from pipeline.topology import RAW

pytestmark = pytest.mark.integration

Wait = Callable[[Callable[[], object], float, str], object]
SLOW_ITEMS = 3


class Site:
    """`/quick.atom` (15 items, pages at once) on 127.0.0.1; `/slow.rss` and its pages on
    localhost (another host, so its held pages take none of the quick feed's host slots)."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.pages_released = threading.Event()
        self.held = 0  # slow pages asked for so far (the server logs a request once answered)
        server.routes.update(
            {
                "/quick.atom": self.quick,
                "/heise/": self.page,
                "/slow.rss": self.slow,
                "/slow/": self.slow_page,
            }
        )

    async def quick(self, request: web.Request) -> web.StreamResponse:
        body = local_heise_feed(self.server.url(""))
        return web.Response(body=body, content_type="application/atom+xml")

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=page(page_for_path(request.path)), content_type="text/html")

    async def slow(self, request: web.Request) -> web.StreamResponse:
        items = "".join(
            f"<item><title>Slow item {n}</title><guid>urn:newswire:slow:{n}</guid>"
            f"<link>{self.server.url(f'/slow/item-{9000000 + n}.html', host='localhost')}</link>"
            f"<description>Slow item {n}, its page held back.</description></item>"
            for n in range(SLOW_ITEMS)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>{items}'
        return web.Response(body=body + "</channel></rss>", content_type="application/rss+xml")

    async def slow_page(self, request: web.Request) -> web.StreamResponse:
        # Held (in a thread of the server's loop) until the test releases the pages.
        self.held += 1
        await asyncio.get_running_loop().run_in_executor(None, self.pages_released.wait, 120)
        return web.Response(body=page(page_for_path(request.path)), content_type="text/html")

    def requests(self, prefix: str) -> int:
        return sum(1 for path, _, _ in list(self.server.log) if path.startswith(prefix))


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with FeedServer() as server:
        s = Site(server)
        try:
            yield s
        finally:
            s.pages_released.set()


def _raw_by_source(pipeline: Any) -> Counter[str]:
    async def read() -> Counter[str]:
        topic = pipeline.topic(RAW)
        records = read_topic(pipeline.settings.kafka_bootstrap, topic)
        return Counter([orjson.loads(r.value or b"{}").get("source") async for r in records])

    return asyncio.run(read())


def _feeds_run(pipeline: Any, stderr: Path) -> subprocess.Popen[bytes]:
    """`newswire feeds run` in a session of its own, so the test can signal its group."""
    env = {
        **pipeline.env,
        "NEWSWIRE_ALLOW_PRIVATE_FETCH": "1",
        "NEWSWIRE_FEEDS_JITTER": "0",
        "NEWSWIRE_FETCH_TIMEOUT_SECONDS": "120",  # the held pages must not time out
        "NEWSWIRE_FETCH_READ_TIMEOUT_SECONDS": "120",
    }
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "feeds", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )


def _ctrl_c(proc: subprocess.Popen[bytes], stderr: Path) -> str:
    """SIGINT to the process group, as Ctrl-C in a terminal; the exit status must be 0."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        status = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    text = stderr.read_text(errors="replace")
    assert status == 0, text
    assert "Traceback" not in text, text
    return text


def _feed_state(pipeline: Any) -> dict[str, tuple[int, float]]:
    """Each feed's name -> (items marked seen, next poll time)."""
    rows = pipeline.stored(
        "SELECT f.name, COUNT(i.item_key), f.next_poll_at FROM feeds f "
        "LEFT JOIN feed_items i ON i.feed_id = f.id GROUP BY f.id"
    )
    return {str(name): (int(seen), float(due)) for name, seen, due in rows}


def test_ctrl_c_stops_cleanly_and_a_rerun_publishes_nothing_twice(
    pipeline: Any, site: Site, wait: Wait, tmp_path: Path
) -> None:
    raw = pipeline.topic(RAW)
    for name, url in {
        "quick": site.server.url("/quick.atom"),
        "slow": site.server.url("/slow.rss", host="localhost"),
    }.items():
        added = pipeline.cli("feeds", "add", url, "--name", name, "--interval", "1s")
        assert added.returncode == 0, added.stderr

    first_err = tmp_path / "first.err"
    first = _feeds_run(pipeline, first_err)
    try:
        wait(lambda: _raw_by_source(pipeline)["quick"] == 15, 120, "the quick feed published")
        wait(lambda: site.held > 0, 60, "the slow feed's poll fetching pages")
    finally:
        text = _ctrl_c(first, first_err)
    assert f"stopped: 15 articles published to {raw} in this run" in text.splitlines()

    # What was published is remembered; the cut poll marked nothing and gave its claim back.
    state = _feed_state(pipeline)
    assert state["quick"][0] == 15
    assert state["slow"][0] == 0
    assert state["slow"][1] <= time.time(), "the stopped poll left the slow feed leased"

    site.pages_released.set()
    quick_polls = site.requests("/quick.atom")
    second_err = tmp_path / "second.err"
    second = _feeds_run(pipeline, second_err)
    try:
        wait(lambda: _raw_by_source(pipeline)["slow"] == SLOW_ITEMS, 120, "the slow items")
        # Two more fetches of the quick feed: the first of them was a whole poll.
        wait(lambda: site.requests("/quick.atom") >= quick_polls + 2, 60, "the quick re-poll")
    finally:
        text = _ctrl_c(second, second_err)
    assert f"stopped: {SLOW_ITEMS} articles published to {raw} in this run" in text.splitlines()
    published = _raw_by_source(pipeline)
    assert (published["quick"], published["slow"]) == (15, SLOW_ITEMS)
    assert _feed_state(pipeline)["slow"][0] == SLOW_ITEMS
