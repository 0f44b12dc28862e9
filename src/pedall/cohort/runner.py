"""Classify or validate a large patient table: read as a stream in batches of rows, spread
over the CPU cores, and written out as produced, in input order, so memory stays flat.

Each worker process holds its own compiled engine (built once, in the parent before the
fork where the platform forks, else once per worker) and its own memo, which is bounded by
the distinct profiles of the data, not by the size of the cohort. Small inputs are handled
in the calling process. Rows are read independently in the workers; the ids are checked
for duplicates in row order here, so the issues are the same as ``pedall.api`` reports.

>>> import io
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
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pedall import RESEARCH_NOTICE
from pedall.api import classify_input, media_kind, validate_input
from pedall.classify.result import Classification, Outcome
from pedall.errors import InputFormatError, PatientIssue, errors_in, warnings_in
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.patients.readers.csv_table import DuplicateIds, RowRead, RowReader, open_table
from pedall.toolkit import Toolkit, toolkit
from pedall.writers.files import open_atomically
from pedall.writers.results import CSV_COLUMNS, csv_header, csv_line, result_row

Row = tuple[int, list[str]]
RENDERED_BODIES = 1 << 17  # bound on the cache of rendered JSON bodies (memory, not data)


@dataclass(frozen=True)
class RowOutcome:
    """What a worker sends back for one row: the reader's issues, the id to check for
    duplicates, the data-quality issues of its record, and the rendered result (None when
    the row gave no record, or its record has data-quality errors)."""

    line: int
    checked_id: str | None
    issues: list[PatientIssue]
    quality: list[PatientIssue]
    rendered: str | None


@dataclass(frozen=True)
class Batch:
    """A batch of rows of one table, as sent to a worker."""

    header: tuple[str, ...]
    source: str
    rows: list[Row]
    render: str  # "json", "csv" or "none" (validation only)
    extras: tuple[str, ...] = ()


# -- rendering one result -------------------------------------------------------------


@dataclass
class JsonRenderer:
    """A result as ``json.dumps(result.as_dict(), indent=2)`` would write it, nested in the
    results list; the part that depends only on the outcome is rendered once per outcome."""

    _bodies: dict[int, tuple[Outcome, str]] = field(default_factory=dict)

    def render(self, result: Classification) -> str:
        body = self._body(result.outcome)
        head = '    {\n      "patient_id": ' + _dumps(result.patient_id)
        extra = "".join(
            f",\n      {_dumps(column)}: {_dumps(value)}"
            for column, value in result.extra.items()
            if column not in CONTRACT_KEYS
        )
        return f"{head},\n{body}{extra}\n    }}"

    def _body(self, outcome: Outcome) -> str:
        cached = self._bodies.get(id(outcome))
        if cached is not None and cached[0] is outcome:
            return cached[1]
        as_dict = Classification("", outcome).as_dict()
        del as_dict["patient_id"]
        text = json.dumps(as_dict, indent=2, ensure_ascii=False)
        body = "\n".join("    " + line for line in text.splitlines()[1:-1])
        if len(self._bodies) > RENDERED_BODIES:
            self._bodies.clear()
        self._bodies[id(outcome)] = (outcome, body)
        return body


CONTRACT_KEYS = frozenset(
    ("patient_id", "risk_group", "possible_groups", "provisional", "missing", "criteria")
) | {"nci_rome"}


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _csv_line(cells: list[str]) -> str:
    return csv_line(cells)


# -- the work done on a batch (in a worker, or here for small inputs) -----------------


@dataclass
class BatchWorker:
    """Reads, classifies and renders batches with one toolkit's compiled engine."""

    toolkit: Toolkit
    json: JsonRenderer = field(default_factory=JsonRenderer)

    def run(self, batch: Batch) -> list[RowOutcome]:
        reader = RowReader(batch.header, self.toolkit.model, batch.source)
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
        rendered: dict[int | None, str] = {}
        if batch.render != "none":
            for result in self.toolkit.fast_engine.classify(accepted):
                rendered[result.line] = self._render(result, batch)
        return [
            RowOutcome(
                r.line, r.checked_id, r.issues, quality.get(r.line, []), rendered.get(r.line)
            )
            for r in reads
        ]

    def _render(self, result: Classification, batch: Batch) -> str:
        if batch.render == "json":
            return self.json.render(result)
        return _csv_line(result_row(result, batch.extras))


_worker: BatchWorker | None = None  # this process's worker, set by _start_worker


def _start_worker(files: DataFiles | None, cache: ClosureCache | None = None) -> None:
    """Pool initializer: keep the worker inherited through fork, or build one from the
    data files (a spawned process starts empty), reading the closure from the cache."""
    global _worker
    if _worker is None:
        assert files is not None
        _worker = BatchWorker(toolkit(KnowledgeBase(files, cache)))


def _run_batch(batch: Batch) -> list[RowOutcome]:
    assert _worker is not None
    return _worker.run(batch)


# -- writing the output as it is produced ---------------------------------------------


class ResultWriter(Protocol):
    """Where rendered results go, in input order."""

    render: str

    def start(self, extras: Sequence[str]) -> None: ...
    def write(self, rendered: str) -> None: ...
    def finish(self, issues: Sequence[PatientIssue]) -> None: ...


@dataclass
class JsonResults:
    """Writes the JSON document of ``pedall classify --format json`` (the same bytes),
    one result at a time: ``{"results": [...], "errors": [...], "warnings": [...],
    "notice": ...}``."""

    out: IO[str]
    render: str = "json"
    _count: int = 0

    def start(self, extras: Sequence[str]) -> None:
        return None

    def write(self, rendered: str) -> None:
        self.out.write(('{\n  "results": [\n' if self._count == 0 else ",\n") + rendered)
        self._count += 1

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if self._count == 0:
            self.out.write('{\n  "results": [],\n')
        else:
            self.out.write("\n  ],\n")
        errors = [i.as_dict() for i in errors_in(issues)]
        warnings = [i.as_dict() for i in warnings_in(issues)]
        for key, value in (("errors", errors), ("warnings", warnings)):
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self.out.write(f"  {_dumps(key)}: {text},\n")
        self.out.write(f'  "notice": {_dumps(RESEARCH_NOTICE)}\n}}\n')


@dataclass
class CsvResults:
    """Writes the CSV table of ``pedall classify --format csv``, one row at a time."""

    out: IO[str]
    render: str = "csv"
    _extras: tuple[str, ...] | None = None
    _written: bool = False

    def start(self, extras: Sequence[str]) -> None:
        if self._extras is None:
            self._extras = tuple(extras)

    def write(self, rendered: str) -> None:
        if not self._written:
            self.out.write(_csv_line(csv_header(self._extras or ())))
            self._written = True
        self.out.write(rendered)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if not self._written:
            self.out.write(_csv_line(list(CSV_COLUMNS)))

    @property
    def extras(self) -> tuple[str, ...]:
        return self._extras or ()


@dataclass
class NoResults:
    """Validation only: nothing is classified or written."""

    render: str = "none"

    def start(self, extras: Sequence[str]) -> None:
        return None

    def write(self, rendered: str) -> None:
        return None

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None


# -- the runner -------------------------------------------------------------------------


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
    ``progress``: show a progress bar on stderr (default: when stderr is a terminal)."""

    kb: KnowledgeBase
    workers: int | None = None
    batch_size: int = 2_000
    parallel_from: int = 10_000
    progress: bool | None = None
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

    def classify(self, stream: IO[bytes], source: str, writer: ResultWriter) -> CohortSummary:
        """Classify the CSV table read from ``stream`` (bytes, UTF-8), writing each result
        to ``writer`` as produced; ``writer.finish`` is left to the caller, so several
        tables can go into one document. InputFormatError when the table is unusable."""
        return self._stream(stream, source, writer)

    def write(self, results: Sequence[Classification], writer: ResultWriter) -> None:
        """Write results classified elsewhere (e.g. from RDF input) as this runner does."""
        writer.start(())
        local = self._local_worker()
        extras = writer.extras if isinstance(writer, CsvResults) else ()
        for result in results:
            if writer.render == "json":
                writer.write(local.json.render(result))
            elif writer.render == "csv":
                writer.write(_csv_line(result_row(result, extras)))

    def validate(self, stream: IO[bytes], source: str) -> CohortSummary:
        """Read and check the CSV table read from ``stream``: every located issue."""
        return self._stream(stream, source, NoResults())

    def classify_files(
        self, files: Sequence[PatientFile], writer: ResultWriter
    ) -> list[PatientIssue]:
        """Classify every file into one output and finish it (what ``pedall classify``
        writes as JSON or CSV): CSV tables streamed, RDF inputs through ``classify_input``.
        A file that cannot be read at all is one issue. Returns every issue."""
        issues: list[PatientIssue] = []
        for file in files:
            try:
                with file.open() as stream:
                    if media_kind(file.media_type) == "csv":
                        issues += self.classify(stream, file.source, writer).issues
                    else:
                        outcome = classify_input(
                            self.kb, stream.read(), file.media_type, source=file.source
                        )
                        self.write(outcome.results, writer)
                        issues += outcome.issues
            except InputFormatError as error:
                issues.append(PatientIssue(error.line, None, None, str(error), None, file.source))
        writer.finish(issues)
        return issues

    def validate_files(self, files: Sequence[PatientFile]) -> list[PatientIssue]:
        """Check every file against the data-quality shapes (what ``pedall validate``
        reports): CSV tables streamed, RDF inputs through ``validate_input``."""
        issues: list[PatientIssue] = []
        for file in files:
            try:
                with file.open() as stream:
                    if media_kind(file.media_type) == "csv":
                        issues += self.validate(stream, file.source).issues
                    else:
                        issues += validate_input(
                            self.kb, stream.read(), file.media_type, source=file.source
                        ).issues
            except InputFormatError as error:
                issues.append(PatientIssue(error.line, None, None, str(error), None, file.source))
        return issues

    # -- internals -------------------------------------------------------------------

    def _stream(self, stream: IO[bytes], source: str, writer: ResultWriter) -> CohortSummary:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        summary = CohortSummary()
        try:
            header, rows = open_table(text, self._toolkit.model, source)
            summary.issues += header.issues  # how the header was read (warnings)
            model_columns = set(self._toolkit.model.columns)
            extras = tuple(c for c in header if c not in model_columns and c not in CSV_COLUMNS)
            writer.start(extras)
            if isinstance(writer, CsvResults):
                extras = writer.extras
            batches = self._batches(tuple(header), source, rows, writer.render, extras)
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
                        if issues:  # the reader's: the row gave no record
                            summary.issues += issues
                            continue
                        summary.issues += row.quality
                        if row.rendered is not None:
                            writer.write(row.rendered)
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
    ) -> Iterator[Batch]:
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                yield Batch(header, source, batch, render, extras)
                batch = []
        if batch:
            yield Batch(header, source, batch, render, extras)

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
            in_flight.append(pool.apply_async(_run_batch, (batch,)))
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
            global _worker
            methods = multiprocessing.get_all_start_methods()
            if "fork" in methods:
                # Compile here once; the forked workers inherit the engine.
                _worker = self._local_worker()
                self._pool = multiprocessing.get_context("fork").Pool(
                    self._workers_wanted(), _start_worker, (None,)
                )
                _worker = None
            else:
                self.kb.inferred  # noqa: B018  inferred (and cached) once, read by each worker
                self._pool = multiprocessing.get_context("spawn").Pool(
                    self._workers_wanted(), _start_worker, (self.kb.files, self.kb.cache)
                )
        return self._pool

    def _progress_bar(self, stream: IO[bytes], source: str) -> _ProgressBar:
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        return _ProgressBar(stream, source, show, forced=self.progress is True)


@dataclass
class _ProgressBar:
    """A rich progress bar on stderr, by bytes read when the input's size is known."""

    stream: IO[bytes]
    source: str
    show: bool
    forced: bool = False
    _progress: Progress | None = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.show:
            return lambda done: None
        total = _size(self.stream)
        # Asked for explicitly: drawn even when stderr is not a terminal.
        console = Console(file=sys.stderr, force_terminal=True if self.forced else None)
        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.fields[patients]} patients"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        task = self._progress.add_task(self.source, total=total, patients=0)
        self._progress.start()
        progress = self._progress
        counted = 0

        def advance(done: int) -> None:
            nonlocal counted
            counted += done
            position = _position(self.stream)
            progress.update(task, completed=position, patients=counted)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _size(stream: IO[bytes]) -> float | None:
    try:
        return float(os.fstat(stream.fileno()).st_size) or None
    except (OSError, io.UnsupportedOperation, AttributeError):
        return None


def _position(stream: IO[bytes]) -> float | None:
    try:
        return float(stream.tell())
    except (OSError, io.UnsupportedOperation):
        return None


@contextmanager
def open_output(path: Path | None) -> Iterator[IO[str]]:
    """Standard output, or a text file at ``path`` written through a temporary file in the
    same folder and renamed when complete (an error never leaves a partial file). It holds
    patient data, so it is readable by its owner only (mode 0600)."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with open_atomically(path, private=True) as stream:
        yield stream
