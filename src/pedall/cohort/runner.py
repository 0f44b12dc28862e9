"""Classify or validate a large patient table (CSV or Parquet): read as a stream in batches
of rows, spread over the CPU cores, and written out as produced, in input order, so memory
stays flat.

The batches go to worker processes (``pedall.cohort.batches``); small inputs are handled
in the calling process. Rows are read independently in the workers; the ids are checked
for duplicates in row order here, so the issues are the same as ``pedall.api`` reports.
A writer that does not stream (``ResultWriter.streams``), and the reference engine, get
every input classified whole first instead (``pedall.cohort.whole_files``).

>>> import io
>>> from pedall.knowledge.base import KnowledgeBase
>>> from pedall.writers.json_results import JsonResults
>>> out = io.StringIO()
>>> with CohortRunner(KnowledgeBase.load()) as runner:
...     table = io.BytesIO(b"patient_id,age_years\\nP1,16\\n")
...     summary = runner.classify(table, "example.csv", JsonResults(out))
>>> summary.rows, summary.classified
(1, 1)
"""

from __future__ import annotations

import io
import itertools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

from pedall.api import classify_input, media_kind, validate_input
from pedall.classify.result import Classification, csv_columns
from pedall.cohort.batches import Batch, BatchWorker, Row, RowOutcome, run_in_pool, start_pool
from pedall.cohort.progress import ProgressBar
from pedall.cohort.result_writers import NoResults
from pedall.cohort.shared_outcomes import ChunkRelay
from pedall.cohort.summary import SummaryEntry
from pedall.cohort.whole_files import classify_whole
from pedall.errors import CappedIssues, CohortWorkerError, InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.header import TableHeader
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.patients.readers.csv_table import DuplicateIds, RowRead, open_table
from pedall.patients.readers.parquet import open_parquet_table
from pedall.toolkit import Toolkit, toolkit
from pedall.writers.parquet import placed_results
from pedall.writers.registry import NO_RENDERING, ResultWriter, TakesRecords
from pedall.writers.results import extra_columns

# Takes each classified patient's SummaryEntry (the cohort summary, a to-do list).
Tally = Callable[[SummaryEntry], None]
STREAMED_KINDS = ("csv", "parquet")  # the readers whose tables are streamed in batches


@dataclass(frozen=True)
class PatientFile:
    """One patient input: how to open it (bytes), its media type, and its name in issues."""

    open: Callable[[], AbstractContextManager[IO[bytes]]]
    media_type: str
    source: str


@dataclass
class CohortSummary:
    """How many rows were read and classified, and every located issue."""

    rows: int = 0
    classified: int = 0
    issues: list[PatientIssue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


def available_cores() -> int:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class CohortRunner:
    """Streams patient tables through the fast engine; a context manager that owns the
    worker processes (started on the first large input, stopped on exit).

    ``workers``: processes for large inputs (default: every available core);
    ``batch_size``: rows a batch; ``parallel_from``: rows from which the workers are used;
    ``progress``: show a progress bar on stderr (default: when stderr is a terminal);
    ``limits``: the limits on the input (cell size, columns, nesting depth) and the
    issues kept (the first ``max_issues`` errors and warnings, the others counted, so a
    table whose every row is wrong costs a count, not memory)."""

    kb: KnowledgeBase
    workers: int | None = None
    batch_size: int = 2_000
    parallel_from: int = 10_000
    progress: bool | None = None
    limits: InputLimits = DEFAULT_LIMITS
    _pool: ProcessPoolExecutor | None = field(default=None, init=False)
    _local: BatchWorker | None = field(default=None, init=False)
    _relay: ChunkRelay | None = field(default=None, init=False)  # with the pool

    def __enter__(self) -> CohortRunner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes: the batches not yet started are dropped, the running
        ones finish (after an error mid-run too, so closing never hangs on a worker)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def classify(
        self,
        stream: IO[bytes],
        source: str,
        writer: ResultWriter,
        tally: Tally | None = None,
        kind: str = "csv",
    ) -> CohortSummary:
        """Classify the table read from ``stream`` (bytes: UTF-8 CSV, or Parquet for
        ``kind="parquet"``), writing each row to ``writer`` as produced (and giving each
        result's ``SummaryEntry`` to ``tally``); ``writer.finish`` is left to the caller,
        so several tables can go into one document. InputFormatError when the table is
        unusable."""
        return self._stream(stream, source, writer, tally, kind)

    def write(
        self,
        results: Sequence[Classification],
        writer: ResultWriter,
        tally: Tally | None = None,
        issues: Sequence[PatientIssue] = (),
    ) -> None:
        """Write results classified elsewhere (e.g. from RDF input) as this runner does,
        each with the ``issues`` of its row, and the rows (or nodes) with issues but no
        result."""
        extras = writer.start(extra_columns(results))
        local = self._local_worker()
        for result, found in placed_results(results, issues):
            if result is not None and tally is not None:
                tally(SummaryEntry.of(result))
            if result is None or writer.render == NO_RENDERING:
                writer.write(None, found)
            else:
                writer.write(local.render(result, writer.render, extras), found)

    def validate(self, stream: IO[bytes], source: str, kind: str = "csv") -> CohortSummary:
        """Read and check the table read from ``stream`` (CSV, or Parquet for
        ``kind="parquet"``): every located issue."""
        return self._stream(stream, source, NoResults(), kind=kind)

    def classify_files(
        self,
        files: Sequence[PatientFile],
        writer: ResultWriter,
        tally: Tally | None = None,
        engine: str = "fast",
    ) -> list[PatientIssue]:
        """Classify every file into one output and finish it (what ``pedall classify``
        writes, in every format): with the fast engine and a writer that streams, CSV and
        Parquet tables streamed, RDF inputs through ``classify_input``; else every file
        classified whole by ``engine`` (``classify_whole``) and then written. ``tally``
        gets each classified patient's ``SummaryEntry``. A file that cannot be read at
        all is one issue (and a row of its own for a writer that writes every row).
        Returns every issue."""
        if engine != "fast" or not writer.streams:
            records = writer if isinstance(writer, TakesRecords) else None
            classified, issues = classify_whole(self.kb, files, engine, self.limits, records)
            writer.start(extra_columns(r for whole in classified for r in whole.results))
            for whole in classified:
                self.write(whole.results, writer, tally, whole.issues)
            writer.finish(issues)
            return issues
        issues = CappedIssues(self.limits.max_issues)
        for file in files:
            try:
                with file.open() as stream:
                    kind = media_kind(file.media_type)
                    if kind in STREAMED_KINDS:
                        issues += self.classify(stream, file.source, writer, tally, kind).issues
                    else:
                        outcome = classify_input(
                            self.kb,
                            stream.read(),
                            file.media_type,
                            source=file.source,
                            limits=self.limits,
                        )
                        self.write(outcome.results, writer, tally, outcome.issues)
                        issues += outcome.issues
            except InputFormatError as error:
                issue = PatientIssue(error.line, None, None, str(error), None, file.source)
                writer.write(None, [issue])
                issues.append(issue)
        writer.finish(issues)
        return issues

    def validate_files(self, files: Sequence[PatientFile]) -> list[PatientIssue]:
        """Check every file against the data-quality shapes (what ``pedall validate``
        reports): CSV and Parquet tables streamed, RDF inputs through ``validate_input``."""
        issues = CappedIssues(self.limits.max_issues)
        for file in files:
            try:
                with file.open() as stream:
                    kind = media_kind(file.media_type)
                    if kind in STREAMED_KINDS:
                        issues += self.validate(stream, file.source, kind).issues
                    else:
                        issues += validate_input(
                            self.kb,
                            stream.read(),
                            file.media_type,
                            source=file.source,
                            limits=self.limits,
                        ).issues
            except InputFormatError as error:
                issues.append(PatientIssue(error.line, None, None, str(error), None, file.source))
        return issues

    # -- internals -------------------------------------------------------------------

    def _stream(
        self,
        stream: IO[bytes],
        source: str,
        writer: ResultWriter,
        tally: Tally | None = None,
        kind: str = "csv",
    ) -> CohortSummary:
        model = self._toolkit.model
        if kind == "parquet":  # read whole (compressed), its rows decoded batch by batch
            header, rows = open_parquet_table(stream.read(), model, source)
            # progress by rows only: the bytes were all read at once
            return self._stream_rows(header, rows, io.BytesIO(), source, writer, tally)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            header, rows = open_table(text, model, source, self.limits)
            return self._stream_rows(header, rows, stream, source, writer, tally)
        finally:  # a byte that is not UTF-8 is located by the table guard (InputFormatError)
            text.detach()

    def _stream_rows(
        self,
        header: TableHeader,
        rows: Iterator[Row],
        stream: IO[bytes],
        source: str,
        writer: ResultWriter,
        tally: Tally | None,
    ) -> CohortSummary:
        summary = CohortSummary(issues=CappedIssues(self.limits.max_issues))
        summary.issues += header.issues  # how the header was read (warnings)
        model_columns = set(self._toolkit.model.columns)
        contract = set(csv_columns(self._toolkit.schemes))
        extras = writer.start(
            tuple(c for c in header if c not in model_columns and c not in contract)
        )
        for _, found in placed_results([], header.issues):
            writer.write(None, found)
        batches = self._batches(
            tuple(header), source, rows, writer.render, extras, tally is not None
        )
        head, parallel = self._head(batches)
        pool = self._worker_pool() if parallel else None  # forked before any thread
        duplicates = DuplicateIds(source)
        with self._progress_bar(stream, source) as advance:
            for outcomes in self._run(head, batches, pool):
                for row in outcomes:
                    issues = duplicates.check(RowRead(row.line, None, row.issues, row.checked_id))
                    summary.rows += 1
                    if issues:
                        summary.issues += issues
                        if any(i.is_error for i in issues):  # the row gave no record
                            writer.write(None, issues)
                            continue
                    if row.quality:
                        summary.issues += row.quality
                    writer.write(row.rendered, [*issues, *row.quality] if row.quality else issues)
                    if row.entry is not None and tally is not None:
                        tally(row.entry)
                    if row.rendered is not None or row.entry is not None:
                        summary.classified += 1
                advance(len(outcomes))
        return summary

    @property
    def _toolkit(self) -> Toolkit:
        return toolkit(self.kb)

    def _batches(
        self,
        header: tuple[str, ...],
        source: str,
        rows: Iterator[Row],
        render: str,
        extras: tuple[str, ...],
        summarize: bool,
    ) -> Iterator[Batch]:
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                yield Batch(header, source, batch, render, extras, summarize)
                batch = []
        if batch:
            yield Batch(header, source, batch, render, extras, summarize)

    def _head(self, batches: Iterator[Batch]) -> tuple[list[Batch], bool]:
        """The first batches, up to ``parallel_from`` rows, and whether more follow (then
        the input is large enough for the workers)."""
        head: list[Batch] = []
        rows = 0
        for batch in batches:
            head.append(batch)
            rows += len(batch.rows)
            if rows >= self.parallel_from:
                return head, True
        return head, False

    def _run(
        self, head: list[Batch], rest: Iterator[Batch], pool: ProcessPoolExecutor | None
    ) -> Iterator[list[RowOutcome]]:
        """Each batch's outcomes in input order: here without a pool, else in the pool
        with a bounded number of batches in flight (so reading never runs far ahead)."""
        if pool is None:
            local = self._local_worker()
            for batch in itertools.chain(head, rest):
                yield local.run(batch)
            return
        assert self._relay is not None
        limit = 2 * self._workers_wanted() + 1
        try:
            yield from run_in_pool(pool, self._relay, itertools.chain(head, rest), limit)
        except BrokenProcessPool:
            self.close()  # its processes are gone; a later run starts new ones
            raise CohortWorkerError(
                "a worker process classifying the table ended while it worked (killed, or "
                "out of memory); the run stopped"
            ) from None

    def _local_worker(self) -> BatchWorker:
        if self._local is None:
            self._local = BatchWorker(self._toolkit)
        return self._local

    def _workers_wanted(self) -> int:
        return max(1, self.workers if self.workers is not None else available_cores())

    def _worker_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = start_pool(self._local_worker(), self._workers_wanted(), self.kb)
            self._relay = ChunkRelay(self._workers_wanted())
        return self._pool

    def _progress_bar(self, stream: IO[bytes], source: str) -> ProgressBar:
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        return ProgressBar(stream, source, show, forced=self.progress is True)
