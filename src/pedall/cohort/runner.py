"""Classify or validate a large patient table: read as a stream in batches of rows, spread
over the CPU cores, and written out as produced, in input order, so memory stays flat.

The batches go to worker processes (``pedall.cohort.batches``); small inputs are handled
in the calling process. Rows are read independently in the workers; the ids are checked
for duplicates in row order here, so the issues are the same as ``pedall.api`` reports.

>>> import io
>>> from pedall.cohort.result_writers import JsonResults
>>> from pedall.knowledge.base import KnowledgeBase
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
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType
from typing import IO

from pedall.api import classify_input, media_kind, validate_input
from pedall.classify.result import Classification
from pedall.cohort.batches import Batch, BatchWorker, Row, RowOutcome, run_batch, start_pool
from pedall.cohort.progress import ProgressBar
from pedall.cohort.result_writers import CsvResults, NoResults, ResultWriter
from pedall.cohort.summary import SummaryEntry
from pedall.errors import CappedIssues, InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.patients.readers.csv_table import DuplicateIds, RowRead, open_table
from pedall.toolkit import Toolkit, toolkit
from pedall.writers.results import CSV_COLUMNS, csv_line, result_row

# Takes each classified patient's SummaryEntry (the cohort summary, a to-do list).
Tally = Callable[[SummaryEntry], None]


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
    _pool: Pool | None = field(default=None, init=False)
    _local: BatchWorker | None = field(default=None, init=False)

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
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def classify(
        self, stream: IO[bytes], source: str, writer: ResultWriter, tally: Tally | None = None
    ) -> CohortSummary:
        """Classify the CSV table read from ``stream`` (bytes, UTF-8), writing each result
        to ``writer`` as produced (and giving its ``SummaryEntry`` to ``tally``);
        ``writer.finish`` is left to the caller, so several tables can go into one
        document. InputFormatError when the table is unusable."""
        return self._stream(stream, source, writer, tally)

    def write(
        self,
        results: Sequence[Classification],
        writer: ResultWriter,
        tally: Tally | None = None,
    ) -> None:
        """Write results classified elsewhere (e.g. from RDF input) as this runner does."""
        writer.start(())
        local = self._local_worker()
        extras = writer.extras if isinstance(writer, CsvResults) else ()
        for result in results:
            if tally is not None:
                tally(SummaryEntry.of(result))
            if writer.render == "json":
                writer.write(local.json.render(result))
            elif writer.render == "csv":
                writer.write(csv_line(result_row(result, extras)))

    def validate(self, stream: IO[bytes], source: str) -> CohortSummary:
        """Read and check the CSV table read from ``stream``: every located issue."""
        return self._stream(stream, source, NoResults())

    def classify_files(
        self, files: Sequence[PatientFile], writer: ResultWriter, tally: Tally | None = None
    ) -> list[PatientIssue]:
        """Classify every file into one output and finish it (what ``pedall classify``
        writes as JSON or CSV): CSV tables streamed, RDF inputs through ``classify_input``;
        ``tally`` gets each classified patient's ``SummaryEntry``. A file that cannot be
        read at all is one issue. Returns every issue."""
        issues = CappedIssues(self.limits.max_issues)
        for file in files:
            try:
                with file.open() as stream:
                    if media_kind(file.media_type) == "csv":
                        issues += self.classify(stream, file.source, writer, tally).issues
                    else:
                        outcome = classify_input(
                            self.kb,
                            stream.read(),
                            file.media_type,
                            source=file.source,
                            limits=self.limits,
                        )
                        self.write(outcome.results, writer, tally)
                        issues += outcome.issues
            except InputFormatError as error:
                issues.append(PatientIssue(error.line, None, None, str(error), None, file.source))
        writer.finish(issues)
        return issues

    def validate_files(self, files: Sequence[PatientFile]) -> list[PatientIssue]:
        """Check every file against the data-quality shapes (what ``pedall validate``
        reports): CSV tables streamed, RDF inputs through ``validate_input``."""
        issues = CappedIssues(self.limits.max_issues)
        for file in files:
            try:
                with file.open() as stream:
                    if media_kind(file.media_type) == "csv":
                        issues += self.validate(stream, file.source).issues
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
        self, stream: IO[bytes], source: str, writer: ResultWriter, tally: Tally | None = None
    ) -> CohortSummary:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        summary = CohortSummary(issues=CappedIssues(self.limits.max_issues))
        try:
            header, rows = open_table(text, self._toolkit.model, source, self.limits)
            summary.issues += header.issues  # how the header was read (warnings)
            model_columns = set(self._toolkit.model.columns)
            extras = tuple(c for c in header if c not in model_columns and c not in CSV_COLUMNS)
            writer.start(extras)
            if isinstance(writer, CsvResults):
                extras = writer.extras
            batches = self._batches(
                tuple(header), source, rows, writer.render, extras, tally is not None
            )
            head, parallel = self._head(batches)
            pool = self._worker_pool() if parallel else None  # forked before any thread
            duplicates = DuplicateIds(source)
            with self._progress_bar(stream, source) as advance:
                for outcomes in self._run(head, batches, pool):
                    for row in outcomes:
                        issues = duplicates.check(
                            RowRead(row.line, None, row.issues, row.checked_id)
                        )
                        summary.rows += 1
                        summary.issues += issues
                        if any(i.is_error for i in issues):  # the row gave no record
                            continue
                        summary.issues += row.quality
                        if row.rendered is not None:
                            writer.write(row.rendered)
                        if row.entry is not None and tally is not None:
                            tally(row.entry)
                        if row.rendered is not None or row.entry is not None:
                            summary.classified += 1
                    advance(len(outcomes))
        except UnicodeDecodeError as error:
            raise InputFormatError(f"{source}: not UTF-8 text ({error})") from error
        finally:
            text.detach()
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
        self, head: list[Batch], rest: Iterator[Batch], pool: Pool | None
    ) -> Iterator[list[RowOutcome]]:
        """Each batch's outcomes in input order: here without a pool, else in the pool
        with a bounded number of batches in flight (so reading never runs far ahead)."""
        if pool is None:
            local = self._local_worker()
            for batch in itertools.chain(head, rest):
                yield local.run(batch)
            return
        in_flight: deque[AsyncResult[list[RowOutcome]]] = deque()
        limit = 2 * self._workers_wanted() + 1
        for batch in itertools.chain(head, rest):
            in_flight.append(pool.apply_async(run_batch, (batch,)))
            if len(in_flight) >= limit:
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()

    def _local_worker(self) -> BatchWorker:
        if self._local is None:
            self._local = BatchWorker(self._toolkit)
        return self._local

    def _workers_wanted(self) -> int:
        return max(1, self.workers if self.workers is not None else available_cores())

    def _worker_pool(self) -> Pool:
        if self._pool is None:
            self._pool = start_pool(self._local_worker(), self._workers_wanted(), self.kb)
        return self._pool

    def _progress_bar(self, stream: IO[bytes], source: str) -> ProgressBar:
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        return ProgressBar(stream, source, show, forced=self.progress is True)
