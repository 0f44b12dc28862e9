"""Batches of table rows and the work done on them: read, checked, classified and
rendered by a ``BatchWorker``, in this process or in a pool of worker processes that each
hold one.

Each worker process holds its own compiled engine (built once, in the parent before the
fork where the platform forks, else once per worker from the data files and the closure
cache) and its own memo, which is bounded by the distinct profiles of the data, not by the
size of the cohort.

What the workers inherit is frozen for the garbage collector (``gc.freeze``) across the
fork, so their collections never walk the knowledge graphs and the compiled engine (they
spent an eighth of their time there), and workers collect their young objects less often,
as does the process that sends them batches while they work (``fewer_collections``).
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from pedall.classify.result import Classification
from pedall.cohort.shared_outcomes import Chunk, ChunkRelay, WorkerChunks
from pedall.cohort.summary import SummaryEntry
from pedall.errors import PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.patients.readers.csv_table import RowReader
from pedall.toolkit import Toolkit, toolkit
from pedall.writers.registry import NO_RENDERING, Render, Rendered, result_format

Row = tuple[int, list[str]]


class RowOutcome(NamedTuple):
    """What a worker sends back for one row: the reader's issues, the id to check for
    duplicates, the data-quality issues of its record, and the rendered result and the
    summary's entry when asked for (None when the row gave no record, or its record has
    data-quality errors). A named tuple: a batch of them pickles a fifth faster than
    dataclasses."""

    line: int
    checked_id: str | None
    issues: list[PatientIssue]
    quality: list[PatientIssue]
    rendered: Rendered | None
    entry: SummaryEntry | None = None


@dataclass(frozen=True)
class Batch:
    """A batch of rows of one table, as sent to a worker."""

    header: tuple[str, ...]
    source: str
    rows: list[Row]
    render: str  # the output format whose renderer renders each result, or NO_RENDERING
    extras: tuple[str, ...] = ()
    summarize: bool = False  # each result's SummaryEntry comes back too
    number: int = 0  # its place in the table's batches
    chunks: tuple[Chunk, ...] = ()  # what other workers found (``shared_outcomes``)


class BatchDone(NamedTuple):
    """A batch's outcomes as a worker of the pool sends them back, with its pid and the
    outcomes it searched (pickled, for the other workers)."""

    outcomes: list[RowOutcome]
    worker: int
    found: bytes


@dataclass
class BatchWorker:
    """Reads, classifies and renders batches with one toolkit's compiled engine."""

    toolkit: Toolkit
    renderers: dict[str, Render] = field(default_factory=dict)  # by format, made when first used

    def compile(self) -> None:
        """Build the engine and the checker every batch uses now, not on the first batch
        (before the fork, so the workers inherit them instead of each compiling its own)."""
        self.toolkit.fast_engine  # noqa: B018
        self.toolkit.data_quality  # noqa: B018

    def run(self, batch: Batch) -> list[RowOutcome]:
        reader = RowReader(batch.header, self.toolkit.model, batch.source)  # forgets its cells
        reads = [reader.read(line, row) for line, row in batch.rows]
        records = [r.record for r in reads if r.accepted and r.record is not None]
        quality: dict[int | None, list[PatientIssue]] = {}
        accepted = []
        for record, found in zip(
            records, self.toolkit.data_quality.issues_by_record(records), strict=True
        ):
            quality[record.line] = found
            if not any(issue.is_error for issue in found):
                accepted.append(record)
        rendered: dict[int | None, Rendered] = {}
        entries: dict[int | None, SummaryEntry] = {}
        if batch.render != NO_RENDERING or batch.summarize:
            for result in self.toolkit.fast_engine.classify(accepted):
                if batch.render != NO_RENDERING:
                    rendered[result.line] = self.render(result, batch.render, batch.extras)
                if batch.summarize:
                    entries[result.line] = SummaryEntry.of(result)
        return [
            RowOutcome(
                r.line,
                r.checked_id,
                r.issues,
                quality.get(r.line, []),
                rendered.get(r.line),
                entries.get(r.line),
            )
            for r in reads
        ]

    def render(self, result: Classification, render: str, extras: tuple[str, ...]) -> Rendered:
        """A result as the writer of the output format ``render`` takes it (JSON or CSV
        text, a Parquet row's classification columns ...: ``pedall.writers.registry``)."""
        renderer = self.renderers.get(render)
        if renderer is None:
            renderer = self.renderers[render] = result_format(render).renderer()
        return renderer(result, extras)


_worker: BatchWorker | None = None  # this process's worker, set by _start_worker
_chunks: WorkerChunks | None = None  # what it learned from the others and found itself

# A worker allocates and frees objects by the million, and each batch's rows and records
# live to the end of the batch: collecting its young generation only once it holds
# 100,000 more objects than it freed, rather than Python's 700, runs 3 collections for the
# benchmark's 100,000 patients in one process instead of 1,650 (62 at 10,000), with the
# same peak memory; the whole command's user CPU was 4.94-5.42 s against 5.14-5.67 s at
# 10,000 (five alternating pairs, README "Engines and speed").
YOUNG_OBJECTS_BEFORE_COLLECTING = 100_000


def _start_worker(
    local: BatchWorker | None, files: DataFiles | None, cache: ClosureCache | None
) -> None:
    """Worker initializer: keep ``local``, handed over by fork, or build a worker from the
    data files (a spawned process starts empty), reading the closure from the cache."""
    global _worker, _chunks
    if local is not None:
        _worker = local
    else:
        assert files is not None
        _worker = BatchWorker(toolkit(KnowledgeBase(files, cache)))
        _worker.compile()
        gc.freeze()  # built here, kept to the end: no collection needs to walk it
    _chunks = WorkerChunks(_worker.toolkit.fast_engine)
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, older, oldest)


def run_batch(batch: Batch) -> BatchDone:
    """A batch's outcomes, in a worker process of the pool, having learned what the other
    workers found."""
    assert _worker is not None and _chunks is not None
    _chunks.learn(batch.chunks)
    outcomes = _worker.run(batch)
    return BatchDone(outcomes, os.getpid(), _chunks.found(batch.number))


def run_in_pool(
    pool: ProcessPoolExecutor, relay: ChunkRelay, batches: Iterable[Batch], limit: int
) -> Iterator[list[RowOutcome]]:
    """Each batch's outcomes in input order, from the pool, with at most ``limit`` batches
    in flight (so reading never runs far ahead), each batch carrying what the other workers
    found (``shared_outcomes``). BrokenProcessPool when a worker died."""
    in_flight: deque[tuple[int, Future[BatchDone]]] = deque()

    def finished() -> list[RowOutcome]:
        number, future = in_flight.popleft()
        done = future.result()
        relay.done(number, done.worker, done.found)
        return done.outcomes

    with fewer_collections():  # this process unpickles every outcome
        for batch in batches:
            number, chunks = relay.to_send()
            sent = dataclasses.replace(batch, number=number, chunks=chunks)
            in_flight.append((number, pool.submit(run_batch, sent)))
            if len(in_flight) >= limit:
                yield finished()
        while in_flight:
            yield finished()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While it lasts, this process collects its young generation as seldom as a worker
    (``YOUNG_OBJECTS_BEFORE_COLLECTING``); its thresholds are as they were after. The
    process that sends the batches unpickles each row's outcome, writes it and drops it:
    at Python's 700 it spent 0.58 s of the benchmark's 100,000 patients in collections
    (5 of them walking the whole knowledge base, 66 ms each), 0.04 s at 100,000."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _started() -> None:
    """A task that does nothing: submitted once so that the workers start at once."""


def start_pool(local: BatchWorker, processes: int, kb: KnowledgeBase) -> ProcessPoolExecutor:
    """Worker processes that each hold a ``BatchWorker``: forked where the platform forks
    (they inherit ``local``, compiled here once), else spawned, each building its own.

    The workers are started here, before the caller starts any thread (a forked process
    holds only the thread that forked it). ``concurrent.futures`` rather than
    ``multiprocessing.Pool``: its shutdown waits for the running batches and returns, where
    ``Pool.terminate`` could hang on a queue lock; a worker that dies (out of memory) fails
    the run with ``BrokenProcessPool`` rather than leaving it waiting.
    """
    if "fork" in multiprocessing.get_all_start_methods():
        local.compile()
        gc.freeze()  # the workers inherit every object frozen; here they thaw once forked
        try:
            pool = ProcessPoolExecutor(
                processes, multiprocessing.get_context("fork"), _start_worker, (local, None, None)
            )
            pool.submit(_started).result()  # a forking pool starts all its workers at once
        finally:
            gc.unfreeze()
        return pool
    kb.inferred  # noqa: B018  inferred (and cached) once, read by each worker
    pool = ProcessPoolExecutor(
        processes, multiprocessing.get_context("spawn"), _start_worker, (None, kb.files, kb.cache)
    )
    pool.submit(_started).result()
    return pool
