"""Creating the pipeline's topics with their partition counts before anything uses them."""

from __future__ import annotations

from pipeline.broker import ensure_topics, wait_for_broker
from pipeline.settings import Settings
from pipeline.topology import PIPELINE_TOPICS, topic_partitions

__all__ = ["create_pipeline_topics"]


async def create_pipeline_topics(settings: Settings, timeout: float = 60) -> list[str]:
    """Create the missing pipeline topics (news.raw … news.deadletter); returns those created."""
    await wait_for_broker(settings.kafka_bootstrap, timeout)
    return await ensure_topics(
        settings.kafka_bootstrap,
        {settings.topic_name(t): topic_partitions(t, settings.partitions) for t in PIPELINE_TOPICS},
        settings.replication_factor,
        timeout,
        configs={"max.message.bytes": str(settings.max_message_bytes)},
    )
