"""The pipeline's topics: create, grow, describe and delete them (`newswire topics …`).

The pipeline needs each topic with at least its partition count (`topology.topic_partitions`):
a topic made elsewhere with fewer (a plain producer on a broker that auto-creates topics
with one partition) is grown to it, and the change is reported, never done silently.
Growing keeps every record where it is; only keys produced afterwards may land elsewhere.

Every failure is a `BrokerError` whose message says what went wrong and what to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from pipeline.broker import BrokerError, ensure_topics, wait_for_broker
from pipeline.settings import Settings
from pipeline.topology import PIPELINE_TOPICS, topic_partitions

__all__ = [
    "SHOWN_CONFIGS",
    "Grown",
    "TopicChanges",
    "TopicInfo",
    "WorkersRunning",
    "add_partitions",
    "app_topics",
    "create_pipeline_topics",
    "delete_pipeline_topics",
    "describe_topics",
    "group_members",
    "wanted_partitions",
]

SHOWN_CONFIGS = ("retention.ms", "retention.bytes", "segment.bytes", "max.message.bytes")
"""The topic settings `newswire topics list` shows: how long and how much a topic keeps."""


@dataclass(frozen=True, slots=True)
class Grown:
    """A topic that had `before` partitions and now has `after`."""

    topic: str
    before: int
    after: int

    def __str__(self) -> str:
        return f"{self.topic}: {self.before} → {self.after} partitions"


@dataclass(frozen=True, slots=True)
class TopicChanges:
    """What `create_pipeline_topics` did."""

    created: list[str] = field(default_factory=list)
    grown: list[Grown] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per kind of change; none when every topic was already right."""
        lines = [f"created: {', '.join(self.created)}"] if self.created else []
        lines += [
            f"grew {g.topic} from {g.before} to {g.after} partitions (it had too few; "
            "its records stay where they are)"
            for g in self.grown
        ]
        return lines


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """One topic as `newswire topics list` shows it; `partitions` 0: it does not exist."""

    name: str
    partitions: int
    needed: int | None  # None: not a pipeline topic (a table changelog, the leader topic)
    records: int
    configs: dict[str, str]

    @property
    def exists(self) -> bool:
        return self.partitions > 0


def wanted_partitions(settings: Settings) -> dict[str, int]:
    """Each pipeline topic's Kafka name -> the partitions the pipeline needs it to have."""
    return {
        settings.topic_name(t): topic_partitions(t, settings.partitions) for t in PIPELINE_TOPICS
    }


def app_topics(settings: Settings, existing: Iterable[str]) -> list[str]:
    """The worker's own topics among `existing`: Faust's table changelogs and leader topic."""
    return sorted(t for t in existing if t.startswith(f"{settings.app_id}-"))


@asynccontextmanager
async def _admin(bootstrap: str, timeout: float) -> AsyncIterator[AIOKafkaAdminClient]:
    await wait_for_broker(bootstrap, timeout)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await admin.start()
        yield admin
    except KafkaError as exc:
        raise BrokerError(
            f"Kafka at {bootstrap} refused a topic request ({exc}): check "
            "`newswire broker status` and NEWSWIRE_KAFKA_BOOTSTRAP"
        ) from None
    finally:
        await admin.close()


async def _partition_counts(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, int]:
    """Partitions of each of `topics` that exists (list first: a named metadata request may
    auto-create the topic on a broker that allows it)."""
    existing = set(await admin.list_topics())
    present = [t for t in topics if t in existing]
    if not present:
        return {}
    return {m["topic"]: len(m["partitions"]) for m in await admin.describe_topics(present)}


async def _grow(
    admin: AIOKafkaAdminClient, wanted: Mapping[str, int], timeout: float
) -> list[Grown]:
    counts = await _partition_counts(admin, list(wanted))
    short = {t: n for t, n in counts.items() if n < wanted[t]}
    if not short:
        return []
    response = await admin.create_partitions(
        {t: NewPartitions(total_count=wanted[t]) for t in short}, timeout_ms=int(timeout * 1000)
    )
    for topic, code, message in response.topic_errors:
        if code != 0:
            raise BrokerError(
                f"could not add partitions to {topic}: {message or for_code(code).__name__}; "
                "delete it with `newswire topics delete --yes` and start again"
            )
    return [Grown(t, n, wanted[t]) for t, n in sorted(short.items())]


async def create_pipeline_topics(
    settings: Settings, timeout: float = 60, *, grow: bool = True
) -> TopicChanges:
    """Create the missing pipeline topics and grow those with too few partitions.

    With `grow=False` a topic with too few partitions is a `BrokerError` instead.
    """
    wanted = wanted_partitions(settings)
    grown: list[Grown] = []
    if grow:
        async with _admin(settings.kafka_bootstrap, timeout) as admin:
            grown = await _grow(admin, wanted, timeout)
    else:
        await wait_for_broker(settings.kafka_bootstrap, timeout)
    created = await ensure_topics(
        settings.kafka_bootstrap,
        wanted,
        settings.replication_factor,
        timeout,
        configs={"max.message.bytes": str(settings.max_message_bytes)},
    )
    return TopicChanges(created=created, grown=grown)


async def add_partitions(settings: Settings, timeout: float = 30) -> list[Grown]:
    """Grow every pipeline topic to the partitions the settings need; all must exist."""
    wanted = wanted_partitions(settings)
    async with _admin(settings.kafka_bootstrap, timeout) as admin:
        counts = await _partition_counts(admin, list(wanted))
        if missing := [t for t in wanted if t not in counts]:
            raise BrokerError(
                f"topic(s) {', '.join(missing)} do not exist on {settings.kafka_bootstrap}: "
                "create them with `newswire topics create`"
            )
        return await _grow(admin, wanted, timeout)


async def describe_topics(settings: Settings, timeout: float = 30) -> list[TopicInfo]:
    """The pipeline topics (missing ones too) and the worker's own, with records and settings.

    `records` is end offset minus start offset summed over partitions: exact for the
    pipeline topics, an upper bound for compacted ones (table changelogs).
    """
    wanted = wanted_partitions(settings)
    bootstrap = settings.kafka_bootstrap
    async with _admin(bootstrap, timeout) as admin:
        names = [*wanted, *app_topics(settings, await admin.list_topics())]
        counts = await _partition_counts(admin, names)
        present = [t for t in names if t in counts]
        configs: dict[str, dict[str, str]] = {}
        if present:
            resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in present]
            for response in await admin.describe_configs(resources):
                for res in response.to_object()["resources"]:
                    configs[res["resource_name"]] = {
                        e["config_names"]: e["config_value"]
                        for e in res["config_entries"]
                        if e["config_names"] in SHOWN_CONFIGS
                    }
    records = await _record_counts(bootstrap, counts, timeout) if counts else {}
    return [
        TopicInfo(t, counts.get(t, 0), wanted.get(t), records.get(t, 0), configs.get(t, {}))
        for t in names
    ]


async def _record_counts(
    bootstrap: str, counts: Mapping[str, int], timeout: float
) -> dict[str, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        request_timeout_ms=int(timeout * 1000),
    )
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
        start = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    records = dict.fromkeys(counts, 0)
    for tp in tps:
        records[tp.topic] += end[tp] - start[tp]
    return records


class WorkersRunning(BrokerError):
    """The pipeline's consumer group has members: workers would lose their topics mid-run."""

    def __init__(self, group: str, members: int) -> None:
        self.group = group
        self.members = members
        super().__init__(
            f"consumer group {group} has {members} active member{'s' if members != 1 else ''} "
            "(running workers): stop them first, or add --force to delete the topics anyway"
        )


async def group_members(admin: AIOKafkaAdminClient, group: str, timeout: float) -> int:
    """How many members consumer group `group` has now (0: empty, or unknown to the broker).

    A worker killed without a goodbye stays a member until its session times out
    (`NEWSWIRE_CONSUMER_SESSION_TIMEOUT`). A coordinator that is not ready (a fresh broker
    makes its offsets topic on the first request) is asked again until `timeout`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    while True:
        try:
            described = [
                g
                for response in await admin.describe_consumer_groups([group])
                for g in response.to_object()["groups"]
                if g["group"] == group
            ]
            for g in described:
                if g["error_code"]:
                    raise for_code(g["error_code"])(f"describing consumer group {group}")
            return sum(len(g["members"]) for g in described)
        except KafkaError as exc:
            if not exc.retriable or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)  # back-off between tries; the deadline bounds it
        delay = min(delay * 2, 0.5)


async def delete_pipeline_topics(
    settings: Settings, timeout: float = 30, *, force: bool = False
) -> list[str]:
    """Delete the pipeline topics and the worker's own (story index changelog, leader topic).

    Unless `force`, refuses with `WorkersRunning` while the workers' consumer group
    (`settings.app_id`) has members. Returns the deleted names once the broker no longer
    lists them, so they can be created again at once.
    """
    wanted = wanted_partitions(settings)
    async with _admin(settings.kafka_bootstrap, timeout) as admin:
        existing = set(await admin.list_topics())
        doomed = [t for t in wanted if t in existing] + app_topics(settings, existing)
        if not doomed:
            return []
        if not force and (members := await group_members(admin, settings.app_id, timeout)):
            raise WorkersRunning(settings.app_id, members)
        response = await admin.delete_topics(doomed, timeout_ms=int(timeout * 1000))
        for topic, code, *rest in response.topic_error_codes:
            if code != 0:
                detail = rest[0] if rest and rest[0] else for_code(code).__name__
                raise BrokerError(f"could not delete topic {topic}: {detail}")
        await _wait_until_gone(admin, set(doomed), timeout)
    return doomed


async def _wait_until_gone(admin: AIOKafkaAdminClient, topics: set[str], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    while topics & set(await admin.list_topics()):
        if loop.time() >= deadline:
            raise BrokerError(
                f"topics {', '.join(sorted(topics))} were deleted but still listed after "
                f"{timeout:g} s: run `newswire topics list` again in a moment"
            )
        await asyncio.sleep(delay)  # back-off between polls; the deadline bounds it
        delay = min(delay * 2, 0.5)
