"""pipeline/bench/ner_raw.py: the ceiling of the NER pool from one process's rates."""

from __future__ import annotations

import pytest

from pipeline.bench.ner_raw import work_ceiling


def test_with_finishers_the_slower_stage_bounds_the_pool() -> None:
    assert work_ceiling(16.0, 400.0, processes=3, finishers=1) == 48.0  # NER bounds
    assert work_ceiling(16.0, 40.0, processes=3, finishers=1) == 40.0  # finishing bounds


def test_without_finishers_the_ner_processes_do_both() -> None:
    # 1/16 s + 1/400 s per article in each of 2 processes
    assert work_ceiling(16.0, 400.0, processes=2, finishers=0) == pytest.approx(2 / 0.065)
