from clock import FakeClock
from prometheus_client import CollectorRegistry

from pipeline.feeds.health import FeedHealth
from pipeline.metrics import FeedMetrics


def test_health_figures_and_metrics() -> None:
    clock = FakeClock(10_000.0)
    registry = CollectorRegistry()
    health = FeedHealth(clock, FeedMetrics(registry))
    health.observe_success("a", 0.2, 5, newest_item_at=9_000.0)
    clock.now += 600
    health.observe_success("a", 0.4, 3, newest_item_at=9_500.0)
    health.observe_success("a", 1.0, 0, newest_item_at=None)
    clock.now += 3100  # the first poll's items fall out of the last hour
    health.observe_error("a", "timeout", "slow")
    a = health.snapshot()["a"]
    assert a["items"] == 8 and a["items_per_hour"] == 3
    assert a["median_fetch_seconds"] == 0.4
    assert a["freshness_seconds"] == clock.now - 9_500.0
    assert a["last_error_reason"] == "timeout" and a["ok"] is False
    assert registry.get_sample_value("newswire_feed_items_total", {"feed": "a"}) == 8
    labels = {"feed": "a", "reason": "timeout"}
    assert registry.get_sample_value("newswire_feed_errors_total", labels) == 1
    assert (
        registry.get_sample_value("newswire_feed_newest_item_timestamp_seconds", {"feed": "a"})
        == 9_500.0
    )
