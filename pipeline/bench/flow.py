"""`newswire bench flow`: normalize → store throughput against bare aiokafka loops, same run.

The bare loop (one consume → decode/encode → produce) is the reference of issue #3's ratio.
The bare chain does that three times over, in one process, like the fixed topology
(raw → clean → enriched → articles → store): the ceiling for any framework running it.

Both sides read the same pre-loaded records, so neither pays for its producer, and both
are timed from their first result to their last: the bare loop from its first consumed
message to its last acknowledged send; the pipeline from its first stored batch to its last
(articles in the first batch are not counted). Start-up and rebalances are out.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.bench.worker import BenchWorker, produce_all
from pipeline.broker import ensure_topics

__all__ = ["backlog_rate", "bare_chain_rate", "bare_loop_rate"]


async def bare_loop_rate(bootstrap: str, records: list[bytes], partitions: int) -> float:
    """Articles/s of a plain consume → JSON decode/encode → produce loop with aiokafka."""
    tag = uuid.uuid4().hex[:8]
    source, sink = f"bench-{tag}.in", f"bench-{tag}.out"
    await ensure_topics(bootstrap, {source: partitions, sink: partitions}, 1)
    await produce_all(bootstrap, source, records)
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=f"bench-{tag}", auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        first = 0.0
        while len(pending) < len(records):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                for message in messages:
                    first = first or time.perf_counter()
                    value = orjson.dumps(orjson.loads(message.value or b"{}"))
                    pending.append(await producer.send(sink, value, key=message.key))
        await asyncio.gather(*pending)
        await consumer.commit()
        return len(records) / (time.perf_counter() - first)
    finally:
        await producer.stop()
        await consumer.stop()


async def bare_chain_rate(
    bootstrap: str, records: list[bytes], partitions: int, hops: int = 3
) -> float:
    """Articles/s of bare aiokafka loops chained like the pipeline's topology, in one process.

    One consumer reads every topic of a chain `in → 1 → … → hops` (as Faust's one consumer
    does): a record from any topic but the last is decoded, encoded and produced to the next;
    the last topic is only consumed and decoded (the store's place). With `hops=3` that is
    normalize, enrich and dedupe's produce and four consumes: the least Kafka work the fixed
    topology does per article, with no framework and no stage logic. Timed like
    `bare_loop_rate`: first consumed record to the last one reaching the end of the chain.
    """
    tag = uuid.uuid4().hex[:8]
    chain = [f"bench-{tag}.{n}" for n in range(hops + 1)]
    await ensure_topics(bootstrap, dict.fromkeys(chain, partitions), 1)
    await produce_all(bootstrap, chain[0], records)
    following = dict(itertools.pairwise(chain))
    consumer = AIOKafkaConsumer(
        *chain, bootstrap_servers=bootstrap, group_id=f"bench-{tag}", auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        first, arrived = 0.0, 0
        while arrived < len(records):
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, messages in batches.items():
                sink = following.get(tp.topic)
                for message in messages:
                    first = first or time.perf_counter()
                    article = orjson.loads(message.value or b"{}")
                    if sink is None:
                        arrived += 1
                    else:
                        value = orjson.dumps(article)
                        pending.append(await producer.send(sink, value, key=message.key))
        elapsed = time.perf_counter() - first
        await asyncio.gather(*pending)
        await consumer.commit()
        return len(records) / elapsed
    finally:
        await producer.stop()
        await consumer.stop()


def backlog_rate(worker: BenchWorker, records: list[bytes], timeout: float = 1800) -> float:
    """Articles/s of a started worker working through `records` from news.raw to the store.

    Timed from its first stored batch to its last; the first batch's articles don't count.
    """
    worker.publish(records)
    worker.wait_stored(len(records), timeout)
    first, last, total = worker.stored(
        "SELECT min(stored_at), max(stored_at), count(*) FROM articles"
    )
    in_first = worker.stored(f"SELECT count(*) FROM articles WHERE stored_at = {first}")[0]
    return (total - in_first) / (last - first)
