"""Registers the web UI on the app: importing this module adds every view and the lag timer.

`ingest` and `feeds` also register the live sources (feed poller, news.raw producer).
"""

from pipeline.web import api, dashboard, feeds, health, ingest, stream

__all__ = ["api", "dashboard", "feeds", "health", "ingest", "stream"]
