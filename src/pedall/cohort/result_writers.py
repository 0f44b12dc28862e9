"""Where a cohort's rendered results go, in input order, as they are produced: the JSON
document, CSV table or Parquet file of ``pedall classify``, written one result at a time
(Parquet: a row group at a time), or nowhere (validation only).

Every input row is handed to the writer with its issues (``write_row``), classified or
not: JSON and CSV write the classified ones (their issues go in ``finish``), Parquet
writes every row with its own errors and warnings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol

from pedall import RESEARCH_NOTICE
from pedall.classify.result import csv_columns, table_columns
from pedall.classify.schemes import Schemes
from pedall.cohort.rendering import json_value
from pedall.cohort.summary import ClassificationSummary
from pedall.errors import PatientIssue, errors_in, not_shown, warnings_in
from pedall.writers.parquet import ROW_GROUP_ROWS, ParquetRows, Row, require_pyarrow, result_row
from pedall.writers.results import csv_header, csv_line

# What a worker renders of a classified row: JSON or CSV text, or a Parquet row's
# classification columns (``pedall.writers.parquet.classification_columns``).
Rendered = str | Row


class ResultWriter(Protocol):
    """Where rendered results go, in input order."""

    render: str

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        """Told a table's pass-through columns; returns those the writer renders."""
        ...

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        """One input row: its rendering (None when it was not classified) and its issues."""
        ...

    def finish(self, issues: Sequence[PatientIssue]) -> None: ...


@dataclass
class JsonResults:
    """Writes the JSON document of ``pedall classify --format json`` (the same bytes),
    one result at a time: ``{"results": [...], "errors": [...], "warnings": [...],
    "notice": ...}``. With a ``summary`` (``--summary``), which the caller fills as the
    results stream (``IssueCounting`` counts each row's issues into it), ``"summary":
    {...}`` comes before the notice; without one the document is unchanged."""

    out: IO[str]
    render: str = "json"
    summary: ClassificationSummary | None = None
    _count: int = 0

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return tuple(extras)

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if isinstance(rendered, str):
            self.write(rendered)

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
        parts: list[tuple[str, object]] = [("errors", errors), ("warnings", warnings)]
        parts += not_shown(issues).items()  # when the issues were capped: how many were not
        if self.summary is not None:
            parts.append(("summary", self.summary.as_dict()))
        for key, value in parts:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self.out.write(f"  {json_value(key)}: {text},\n")
        self.out.write(f'  "notice": {json_value(RESEARCH_NOTICE)}\n}}\n')


@dataclass
class CsvResults:
    """Writes the CSV table of ``pedall classify --format csv``, one row at a time."""

    out: IO[str]
    schemes: Schemes
    render: str = "csv"
    _extras: tuple[str, ...] | None = None
    _written: bool = False

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        if self._extras is None:
            self._extras = tuple(extras)
        return self._extras

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if isinstance(rendered, str):
            self.write(rendered)

    def write(self, rendered: str) -> None:
        if not self._written:
            self.out.write(csv_line(csv_header(self.schemes, self._extras or ())))
            self._written = True
        self.out.write(rendered)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if not self._written:
            self.out.write(csv_line(list(csv_columns(self.schemes))))

    @property
    def extras(self) -> tuple[str, ...]:
        return self._extras or ()


@dataclass
class ParquetResults:
    """Writes the Parquet file of ``pedall classify --format parquet`` to ``sink`` (binary),
    one row per input row with the fixed schema of ``pedall.writers.parquet`` (the first
    table's pass-through columns, as for CSV), in row groups of ``row_group_rows`` rows;
    never more than one row group is held. A context manager: leaving it closes the file
    (its footer), before the caller's atomic rename. pyarrow is imported with the first
    row, after the worker processes have forked (they need none of it)."""

    sink: IO[bytes]
    schemes: Schemes
    row_group_rows: int = ROW_GROUP_ROWS
    render: str = "parquet"
    _extras: tuple[str, ...] | None = field(default=None, init=False)
    _rows: ParquetRows | None = field(default=None, init=False)

    def __enter__(self) -> ParquetResults:
        require_pyarrow()  # the clear InputFormatError now when pyarrow is not installed
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self._open()  # a run that wrote nothing still gives a file with the schema
        if self._rows is not None:
            self._rows.__exit__(kind, *rest)

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        if self._extras is None:
            self._extras = tuple(extras)
        return self._extras

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        assert not isinstance(rendered, str)
        rows = self._open()
        rows.add(result_row(rendered, issues, rows.extras, table_columns(self.schemes)))

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None  # each issue was written on its row; the file is closed on exit

    def _open(self) -> ParquetRows:
        if self._rows is None:
            self._rows = ParquetRows(self.sink, self.schemes, self.start(()), self.row_group_rows)
        return self._rows


@dataclass
class NoResults:
    """Nothing is written: validation only, or only the summary's entries are wanted."""

    render: str = "none"

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return ()

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        return None

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None


@dataclass
class IssueCounting:
    """A writer that counts each row's issues into ``summary`` as they pass, then hands the
    row to ``writer``: every row is counted, also past the cap on the issues listed
    (``--max-issues``), which keeps only the first ones."""

    writer: ResultWriter
    summary: ClassificationSummary
    render: str = field(init=False)

    def __post_init__(self) -> None:
        self.render = self.writer.render

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return self.writer.start(extras)

    def write_row(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if issues:
            self.summary.add_row_issues(issues)
        self.writer.write_row(rendered, issues)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        self.writer.finish(issues)
