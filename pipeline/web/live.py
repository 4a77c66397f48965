"""This worker's web state, built once from the app's settings: the store reader and stats."""

from __future__ import annotations

from pipeline.app import settings
from pipeline.metrics import METRICS
from pipeline.topology import STAGES
from pipeline.web.reader import StoreReader
from pipeline.web.stats import Stats

__all__ = ["reader", "stats"]

reader = StoreReader(settings.resolved_store_url)
stats = Stats(reader, METRICS.snapshot, STAGES, settings.topic_prefix, settings.app_id)
