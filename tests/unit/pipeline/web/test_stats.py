"""The stats document: metrics, store figures and topology joined; a stage missing has no entry."""

from clock import FakeClock
from prometheus_client import CollectorRegistry

from pipeline.metrics import PipelineMetrics
from pipeline.topology import STAGES, Stage
from pipeline.web.stats import Stats, assemble

STORE = {"articles": 5, "last_stored_at": 1.0, "sources": [], "stories": []}


def test_assemble_follows_the_topology_and_sums_lag_per_topic() -> None:
    metrics = PipelineMetrics(CollectorRegistry(), clock=FakeClock())
    metrics.observe_stage("normalize", 0.001, count=3)
    metrics.observe_dead_letter("normalize", "not_json", "bad", "t.news.raw[0]@1")
    metrics.set_consumer_lag({("t.news.raw", 0): 2, ("t.news.raw", 1): 5, ("t.news.clean", 0): 1})
    stats = assemble(metrics.snapshot(), STORE, STAGES, "t.", "app")
    stages = stats["flow"]["stages"]
    assert [s["name"] for s in stages] == [s.name for s in STAGES]
    assert (stages[0]["ok"], stages[0]["deadletter"], stages[0]["lag"]) == (3, 1, 7)
    assert stages[1]["ok"] == 0 and stages[1]["lag"] == 1  # enrich: no records yet
    assert stats["processed"] == 4
    assert stats["stored"]["store"]["articles"] == 5
    assert {p["name"] for p in stats["lag"]} == {"news.raw", "news.clean"}
    assert stats["decisions"] == {} and stats["ner"]["words_per_s"] == 0.0
    assert [p["p95"] for p in stages[0]["latency_series"]] == [0.001]  # one slot so far


def test_a_stage_not_in_the_topology_has_no_entry() -> None:
    metrics = PipelineMetrics(CollectorRegistry(), clock=FakeClock())
    metrics.observe_stage("enrich", 0.5)
    only = (Stage("normalize", source="news.raw", sink="news.clean"),)
    stats = assemble(metrics.snapshot(), STORE, only, "", "app")
    assert [s["name"] for s in stats["flow"]["stages"]] == ["normalize"]


class CountingStore:
    def __init__(self) -> None:
        self.calls = 0

    async def figures(self, now: float) -> dict[str, object]:
        self.calls += 1
        return dict(STORE)


async def test_stats_are_computed_at_most_once_per_ttl() -> None:
    clock = FakeClock()
    store = CountingStore()
    metrics = PipelineMetrics(CollectorRegistry(), clock=clock)
    stats = Stats(store, metrics.snapshot, STAGES, "", "app", ttl=1.0, clock=clock)
    first = await stats.get()
    assert await stats.get() is first
    clock.now += 1.5
    assert await stats.get() is not first
    assert store.calls == 2
