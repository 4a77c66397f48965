"""The pipeline's Kafka topics as Faust channels, declared once from the topology.

Values are raw bytes on purpose: each agent decodes its input itself so that a record it
cannot read becomes a dead letter with the reason, instead of being skipped by Faust's
deserialiser with only a log line.
"""

from __future__ import annotations

from faust.types import TopicT

from pipeline.app import app, settings
from pipeline.topology import PIPELINE_TOPICS, topic_partitions

__all__ = ["topic"]

_TOPICS: dict[str, TopicT] = {
    name: app.topic(
        settings.topic_name(name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=topic_partitions(name, settings.partitions),
        replicas=settings.replication_factor,
        # The pipeline tracks and commits its input offsets itself (pipeline.commits).
        acks=False,
    )
    for name in PIPELINE_TOPICS
}


def topic(name: str) -> TopicT:
    """The Faust topic called `name` (one of `topology.PIPELINE_TOPICS`)."""
    return _TOPICS[name]
