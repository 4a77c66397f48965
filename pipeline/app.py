"""The one Faust app. Settings are read once, here, when the worker process starts."""

from __future__ import annotations

import faust
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent

import schemas.codec  # noqa: F401 - registers the orjson codec before any record is used
from pipeline.settings import Settings, load_settings
from pipeline.web.lag import CommitMonitor

__all__ = ["app", "settings"]

settings: Settings = load_settings()


def broker_urls(bootstrap: str) -> list[str]:
    """`host1:9092,host2:9092` as Faust's list of `kafka://` URLs."""
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


class _FlowControl(FlowControlEvent):
    """Faust's flow control, except that resuming a flow that is not suspended clears nothing.

    Faust empties every agent's queue whenever flow is resumed (`FlowControlEvent.resume`).
    After a rebalance that restores a table, it resumes flow twice: once to read the
    changelog, and again once the stream partitions are resumed and sought, by which time
    the queues hold records of the new assignment that Faust's consumer counts as read and
    never fetches again (a restarted worker's first records, lost). A suspended flow was
    already cleared by whoever suspended it (Faust does so on every revoke and on stop).
    """

    def resume(self) -> None:
        if self.is_active():
            return
        super().resume()


class _App(faust.App):
    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return _FlowControl(loop=self.loop)


app = _App(
    settings.app_id,
    broker=broker_urls(settings.kafka_bootstrap),
    store="memory://",
    datadir=str(settings.data_dir / "faust"),
    topic_partitions=settings.partitions,
    topic_replication_factor=settings.replication_factor,
    topic_allow_declare=True,
    consumer_auto_offset_reset="earliest",
    web_host=settings.web_host,
    web_port=settings.web_port,
    web_bind=settings.web_host,
    # Faust's /table endpoints serve table contents over HTTP: off unless asked for.
    web_tables_enabled=settings.web_tables_enabled,
    # Faust's consumer runs in its own thread and every fetch is a cross-thread call, so
    # few large fetches beat many small ones (measured: 500-record polls of 1 MiB
    # partition fetches cap one hop near 1,500 articles/s; unbounded polls of 4 MiB
    # fetches reach about 4x that). Flow control still bounds memory: the stream
    # buffer pauses fetching when it is full.
    broker_max_poll_records=None,
    consumer_max_fetch_size=4 * 1024 * 1024,
    stream_buffer_maxsize=8192,
    producer_linger=0.005,
    producer_max_batch_size=512 * 1024,
    # Records up to the raw size limit (and their enriched forms) must fit in a request.
    producer_max_request_size=settings.max_message_bytes,
    broker_commit_every=2000,
    # A worker killed without a goodbye keeps its partitions this long (heartbeats every 3 s).
    broker_session_timeout=settings.consumer_session_timeout,
    # Faust's Monitor keeps per-record statistics nobody reads; lag needs only its commits.
    Monitor=CommitMonitor,
    autodiscover=False,
    origin="pipeline.app",
)
