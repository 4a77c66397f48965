"""The metrics API: Prometheus series by convention and the dashboard's snapshot."""

from clock import FakeClock
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.metrics import PipelineMetrics
from schemas.article import Article, Entity


def _article(article_id: str, received_at: float | None) -> Article:
    return Article(
        id=article_id,
        title=f"Title {article_id}",
        body="Body.",
        word_count=1,
        normalized_at=0.0,
        received_at=received_at,
        entities=[Entity(text="Armenia", label="GPE", count=2, first_offset=0, in_title=True)],
        kind="same_story",
        story_id="s1",
        related_to="x",
    )


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_series_follow_the_naming_convention() -> None:
    registry = CollectorRegistry()
    m = PipelineMetrics(registry, clock=FakeClock())
    m.observe_stage("normalize", 0.002)
    m.observe_stage("normalize", 0.004)
    m.observe_dead_letter("normalize", "not_json", "not JSON: …", "news.raw[0]@7")
    m.observe_stored([_article("a", 990.0), _article("b", None)], now=1000.0)
    m.set_consumer_lag({("news.raw", 0): 3, ("news.raw", 1): 0})
    s = _samples(registry)
    assert s["newswire_articles_total", (("outcome", "ok"), ("stage", "normalize"))] == 2
    assert s["newswire_articles_total", (("outcome", "deadletter"), ("stage", "normalize"))] == 1
    assert s["newswire_deadletters_total", (("reason", "not_json"), ("stage", "normalize"))] == 1
    assert s["newswire_stage_seconds_count", (("stage", "normalize"),)] == 2
    assert s["newswire_stored_total", ()] == 2
    assert s["newswire_end_to_end_seconds_count", ()] == 1  # b has no received_at
    assert s["newswire_end_to_end_seconds_sum", ()] == 10.0
    assert s["newswire_consumer_lag", (("partition", "0"), ("topic", "news.raw"))] == 3


def test_lag_of_a_partition_no_longer_assigned_disappears() -> None:
    registry = CollectorRegistry()
    m = PipelineMetrics(registry, clock=FakeClock())
    m.set_consumer_lag({("news.raw", 0): 3, ("news.raw", 1): 4})
    m.set_consumer_lag({("news.raw", 1): 1})
    lags = {k: v for k, v in _samples(registry).items() if k[0] == "newswire_consumer_lag"}
    assert lags == {("newswire_consumer_lag", (("partition", "1"), ("topic", "news.raw"))): 1}
    assert m.snapshot()["lag"] == [{"topic": "news.raw", "partition": 1, "lag": 1}]


def test_snapshot_has_the_dashboards_figures() -> None:
    clock = FakeClock(1000.0)
    m = PipelineMetrics(CollectorRegistry(), clock=clock)
    clock.now = 1010.0
    for _ in range(20):
        m.observe_stage("normalize", 0.001)
    m.observe_dead_letter("normalize", "not_json", "x" * 1000, "news.raw[0]@1")
    m.observe_dead_letter("store", "schema_violation", "bad", "news.articles[2]@5")
    m.observe_stored([_article("a", 1009.5)], now=1010.0)
    snap = m.snapshot()
    normalize = snap["stages"]["normalize"]
    assert (normalize["ok"], normalize["deadletter"]) == (20, 1)
    assert normalize["rate_1m"] == 21 / 10  # 21 records in the 10 s since start
    assert normalize["latency"] == {"count": 20, "p50": 0.001, "p95": 0.001, "p99": 0.001}
    assert snap["stages"]["store"]["deadletter"] == 1
    assert snap["deadletters"]["by_reason"] == {"not_json": 1, "schema_violation": 1}
    latest = snap["deadletters"]["latest"]
    assert [d["reason"] for d in latest] == ["schema_violation", "not_json"]  # newest first
    assert len(latest[1]["message"]) == 300
    assert snap["end_to_end"]["p50"] == 0.5
    assert snap["stored"]["total"] == 1
    stored = snap["latest_stored"][0]
    assert stored["entities"] == [{"text": "Armenia", "label": "GPE"}]
    assert (stored["kind"], stored["related_to"], stored["latency"]) == ("same_story", "x", 0.5)


def test_an_empty_batch_changes_nothing() -> None:
    m = PipelineMetrics(CollectorRegistry(), clock=FakeClock())
    m.observe_stored([], now=0.0)
    assert m.snapshot()["stored"]["total"] == 0


def test_a_big_batch_counts_every_article_and_lists_the_newest_fifty() -> None:
    m = PipelineMetrics(CollectorRegistry(), clock=FakeClock())
    m.observe_stored([_article(f"a{n}", 999.0) for n in range(120)], now=1000.0)
    snap = m.snapshot()
    assert snap["stored"]["total"] == 120
    assert snap["end_to_end"]["count"] == 120
    assert [s["id"] for s in snap["latest_stored"]] == [f"a{n}" for n in range(119, 69, -1)]


def test_ner_cost_and_story_decisions_are_series_and_in_the_snapshot() -> None:
    clock = FakeClock()
    metrics = PipelineMetrics(CollectorRegistry(), clock=clock)
    metrics.observe_ner(articles=8, words=4_000, seconds=2.0, in_flight=1)
    clock.now += 1
    metrics.observe_ner(articles=4, words=2_000, seconds=1.0, in_flight=0)
    metrics.observe_decision("new", indexed=1)
    metrics.observe_decision("same_story", indexed=2)
    metrics.observe_decision("same_story", indexed=3)
    samples = _samples(metrics.registry)
    assert samples["newswire_ner_articles_total", ()] == 12
    assert samples["newswire_ner_words_total", ()] == 6_000
    assert samples["newswire_ner_batch_seconds_count", ()] == 2
    assert samples["newswire_ner_batch_seconds_sum", ()] == 3.0
    assert samples["newswire_ner_in_flight", ()] == 0
    assert samples["newswire_dedupe_decisions_total", (("kind", "same_story"),)] == 2
    assert samples["newswire_dedupe_indexed_articles", ()] == 3
    snap = metrics.snapshot()
    assert snap["decisions"] == {"new": 1, "same_story": 2}
    assert snap["ner"]["batch_articles"] == 4
    assert snap["ner"]["words_per_s"] == 6_000.0  # over the one second since the start
