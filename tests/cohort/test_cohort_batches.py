"""Worker start-up (``pedall.cohort.batches``): forked workers inherit the compiled engine
and checker instead of compiling their own, with what they inherit frozen for the garbage
collector; the parent is left as it was, except that it collects its young objects as
seldom as the workers while they work."""

from __future__ import annotations

import csv
import gc
import io
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pedall.classify.spec import EngineSpec
from pedall.cohort.batches import (
    YOUNG_OBJECTS_BEFORE_COLLECTING,
    Batch,
    BatchWorker,
    run_in_pool,
    start_pool,
)
from pedall.cohort.runner import CohortRunner
from pedall.cohort.shared_outcomes import ChunkRelay
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.testing.cohort import cohort_csv
from pedall.toolkit import toolkit
from pedall.validate.checker import DataQualityChecker
from pedall.writers.json_results import JsonResults

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="workers are forked here"
)


@pytest.fixture
def fresh_knowledge(knowledge_base: KnowledgeBase, tmp_path: Path) -> KnowledgeBase:
    """A knowledge base of its own (so nothing is compiled for it yet), read from a cache
    filled with the session's closure (no inference)."""
    cache = ClosureCache(tmp_path / "cache")
    cache.write(cache.key(knowledge_base.files), knowledge_base.graph, knowledge_base.inferred)
    return KnowledgeBase(knowledge_base.files, cache)


@pytest.fixture
def compilations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A file where each compilation of an engine spec or a checker writes its process id
    (forked workers inherit the patch; a file is what they can share)."""
    log = tmp_path / "compilations.txt"
    spec, checker = EngineSpec.from_knowledge, DataQualityChecker.from_knowledge

    def noted(what: str) -> None:
        with log.open("a") as out:
            out.write(f"{what} {os.getpid()}\n")

    def spec_noted(*arguments: object, **keywords: object) -> EngineSpec:
        noted("spec")
        return spec(*arguments, **keywords)  # type: ignore[arg-type]

    def checker_noted(*arguments: object, **keywords: object) -> DataQualityChecker:
        noted("checker")
        return checker(*arguments, **keywords)  # type: ignore[arg-type]

    monkeypatch.setattr(EngineSpec, "from_knowledge", spec_noted)
    monkeypatch.setattr(DataQualityChecker, "from_knowledge", checker_noted)
    log.touch()
    yield log


@pytest.mark.slow  # forks worker processes
def test_forked_workers_use_the_engine_compiled_once_here(
    fresh_knowledge: KnowledgeBase, compilations: Path
) -> None:
    payload = cohort_csv(400, seed=11).encode()
    out = io.StringIO()
    with CohortRunner(fresh_knowledge, workers=2, batch_size=50, parallel_from=100) as runner:
        writer = JsonResults(out)
        summary = runner.classify(io.BytesIO(payload), "cohort.csv", writer)
        writer.finish(summary.issues)
    assert summary.rows == 400 and summary.classified > 300
    assert sorted(compilations.read_text().splitlines()) == [
        f"checker {os.getpid()}",
        f"spec {os.getpid()}",
    ]


@pytest.mark.slow  # forks a worker
def test_workers_inherit_their_objects_frozen_and_the_parent_thaws(
    fresh_knowledge: KnowledgeBase,
) -> None:
    pool = start_pool(BatchWorker(toolkit(fresh_knowledge)), 1, fresh_knowledge)
    try:
        assert pool.submit(gc.get_freeze_count).result() > 0
        assert pool.submit(gc.get_threshold).result()[0] == YOUNG_OBJECTS_BEFORE_COLLECTING
        assert gc.get_freeze_count() == 0
    finally:
        pool.shutdown()


@pytest.mark.slow  # forks a worker
def test_the_parent_collects_as_seldom_as_a_worker_while_the_pool_works(
    fresh_knowledge: KnowledgeBase,
) -> None:
    before = gc.get_threshold()
    header, *rows = list(csv.reader(io.StringIO(cohort_csv(20, seed=5))))
    batches = [Batch(tuple(header), "cohort.csv", [(2 + i, r) for i, r in enumerate(rows)], "json")]
    pool = start_pool(BatchWorker(toolkit(fresh_knowledge)), 1, fresh_knowledge)
    try:
        during = [
            (gc.get_threshold()[0], len(outcomes))
            for outcomes in run_in_pool(pool, ChunkRelay(1), batches, 2)
        ]
    finally:
        pool.shutdown()
    assert during == [(YOUNG_OBJECTS_BEFORE_COLLECTING, 20)]
    assert gc.get_threshold() == before != (YOUNG_OBJECTS_BEFORE_COLLECTING, *before[1:])
