"""The Parquet file of ``pedall classify --format parquet``, written a row group at a time:
one row per input row, classified or not, with the fixed schema of
``pedall.writers.parquet`` (the first table's pass-through columns, as for CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from pedall.classify.result import table_columns
from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue
from pedall.toolkit import toolkit
from pedall.writers.parquet import (
    ROW_GROUP_ROWS,
    ParquetRows,
    classification_columns,
    require_pyarrow,
    result_row,
)
from pedall.writers.registry import Render, Rendered, WriterContext


@dataclass
class ParquetResults:
    """Writes the Parquet file to ``sink`` (binary) in row groups of ``row_group_rows``
    rows; never more than one row group is held. A context manager: leaving it closes the
    file (its footer), before the caller's atomic rename. pyarrow is imported with the
    first row, after the worker processes have forked (they need none of it)."""

    sink: IO[bytes]
    schemes: Schemes
    row_group_rows: int = ROW_GROUP_ROWS
    render: str = "parquet"
    streams: bool = True
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

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        assert rendered is None or isinstance(rendered, dict)
        rows = self._open()
        rows.add(result_row(rendered, issues, rows.extras, table_columns(self.schemes)))

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None  # each issue was written on its row; the file is closed on exit

    def _open(self) -> ParquetRows:
        if self._rows is None:
            self._rows = ParquetRows(self.sink, self.schemes, self.start(()), self.row_group_rows)
        return self._rows


def renderer() -> Render:
    return classification_columns


def open_writer(sink: IO[bytes], context: WriterContext) -> ParquetResults:
    return ParquetResults(sink, toolkit(context.kb).schemes)
