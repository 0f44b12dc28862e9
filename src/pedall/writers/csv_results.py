"""The CSV table of ``pedall classify --format csv``, written one row at a time: the
contract's columns, then the first table's pass-through columns (``results_csv``'s bytes
for results classified whole)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import IO

from pedall.classify.result import Classification, csv_columns
from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue
from pedall.toolkit import toolkit
from pedall.writers.registry import Render, Rendered, WriterContext
from pedall.writers.results import csv_header, csv_line, result_row


@dataclass
class CsvResults:
    """Writes the CSV table to ``out``, the header with the first row."""

    out: IO[str]
    schemes: Schemes
    render: str = "csv"
    streams: bool = True
    _extras: tuple[str, ...] | None = None
    _written: bool = False

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        if self._extras is None:
            self._extras = tuple(extras)
        return self._extras

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if not isinstance(rendered, str):
            return
        if not self._written:
            self.out.write(csv_line(csv_header(self.schemes, self._extras or ())))
            self._written = True
        self.out.write(rendered)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if not self._written:
            self.out.write(csv_line(list(csv_columns(self.schemes))))


def _row(result: Classification, extras: tuple[str, ...]) -> str:
    return csv_line(result_row(result, extras))


def renderer() -> Render:
    return _row


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[CsvResults]:
    return nullcontext(CsvResults(sink, toolkit(context.kb).schemes))
