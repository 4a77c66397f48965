"""What the audit reads: news.raw, the dead letters, each hop's ids and the store's ids."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from pipeline.audit import AuditReport, DeadLetterRef, Hop, RawRecord, audit
from pipeline.broker import wait_for_broker
from pipeline.errors import RejectedArticle
from pipeline.normalize import normalize_record
from pipeline.settings import Settings
from pipeline.store import open_store
from pipeline.topic_read import read_topic
from pipeline.topology import ARTICLES, CLEAN, DEADLETTER, ENRICHED, RAW

__all__ = ["run_audit"]


async def _raw_records(settings: Settings) -> list[RawRecord]:
    return [
        RawRecord(m.partition, m.offset, m.value or b"", m.timestamp / 1000)
        async for m in read_topic(settings.kafka_bootstrap, settings.topic_name(RAW))
    ]


async def _keys(settings: Settings, name: str) -> list[str]:
    """The keys (article ids: every stage keys its output by id) of one pipeline topic."""
    return [
        m.key.decode("utf-8", "replace") if m.key else ""
        async for m in read_topic(settings.kafka_bootstrap, settings.topic_name(name))
    ]


async def _dead_letters(settings: Settings) -> list[DeadLetterRef]:
    letters = []
    async for m in read_topic(settings.kafka_bootstrap, settings.topic_name(DEADLETTER)):
        try:
            obj = orjson.loads(m.value or b"")
        except orjson.JSONDecodeError:
            continue  # not a dead letter of ours
        if isinstance(obj, dict):
            letters.append(
                DeadLetterRef(
                    stage=str(obj.get("stage")),
                    source_topic=obj.get("source_topic"),
                    source_partition=obj.get("source_partition"),
                    source_offset=obj.get("source_offset"),
                    key=obj.get("key"),
                )
            )
    return letters


async def _stored_ids(store_url: str) -> list[str]:
    store = open_store(store_url)
    await store.open()
    try:
        return await store.ids()
    finally:
        await store.close()


async def run_audit(settings: Settings, store_url: str) -> AuditReport:
    """Read the pipeline's topics and `store_url`, and trace every raw record."""
    await wait_for_broker(settings.kafka_bootstrap, timeout=10)
    limits = settings.cleaning

    def article_id_of(record: RawRecord) -> str:
        # `now` as the worker saw it, near enough: the record's broker timestamp.
        now = datetime.fromtimestamp(record.timestamp, UTC)
        return normalize_record(record.value, limits, now).id

    raw = await _raw_records(settings)
    hops = [
        Hop(CLEAN, "normalize", await _keys(settings, CLEAN)),
        Hop(ENRICHED, "enrich", await _keys(settings, ENRICHED)),
        Hop(ARTICLES, "dedupe", await _keys(settings, ARTICLES)),
        Hop("store", "store", await _stored_ids(store_url), keyed=True),
    ]
    return audit(
        raw,
        article_id_of,
        await _dead_letters(settings),
        raw_topic=settings.topic_name(RAW),
        hops=hops,
        refusals=(RejectedArticle,),
    )
