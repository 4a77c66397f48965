"""The enrich stage's pure part: how a taken batch is cut for the NER pool."""

from __future__ import annotations

import pytest

from pipeline.enrich import ner_chunks


def test_a_backlog_batch_becomes_full_chunks_for_each_process_to_queue() -> None:
    chunks = ner_chunks(list(range(256)), processes=1, batch_size=64)
    assert [len(c) for c in chunks] == [64, 64, 64, 64]
    assert [i for c in chunks for i in c] == list(range(256))  # in order, nothing lost


def test_chunks_are_near_equal_and_never_larger_than_the_batch_size() -> None:
    chunks = ner_chunks(list(range(65)), processes=1, batch_size=64)
    assert [len(c) for c in chunks] == [33, 32]


def test_a_small_batch_is_shared_by_every_process() -> None:
    assert ner_chunks(["a", "b", "c"], processes=2, batch_size=64) == [["a", "b"], ["c"]]
    assert ner_chunks(["a"], processes=4, batch_size=64) == [["a"]]
    assert ner_chunks([], processes=2, batch_size=64) == []


@pytest.mark.parametrize(("processes", "batch_size"), [(0, 64), (1, 0)])
def test_a_pool_without_processes_or_batch_size_is_refused(processes: int, batch_size: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        ner_chunks([1], processes, batch_size)
