"""Write classification results as Parquet with a fixed schema: one row per input row,
the classification (null ``risk_group`` on a row with an error), the pass-through columns,
and the row's errors and warnings.

The schema is the one ``pedall.spark`` returns, so a Parquet file and a Spark DataFrame of
results can be unioned. ``ParquetRows`` streams rows to a file in row groups of a fixed
number of rows (``ROW_GROUP_ROWS`` by default), holding at most one row group, as Arrow
columns, at a time. pyarrow is imported when a file is written
(``pip install 'pedall[parquet]'``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pedall.atomic_files import open_binary_atomically
from pedall.classify.result import Classification, table_columns
from pedall.classify.schemes import Schemes
from pedall.errors import InputFormatError, PatientIssue, errors_in, warnings_in
from pedall.writers.results import extra_columns

ROW_GROUP_ROWS = 65_536  # rows a row group: what readers (Spark, DuckDB) split work by
CONVERTED_ROWS = 2_048  # rows turned into Arrow columns at a time (bounds the Python rows held)
# The leading columns are the contract's (``pedall.classify.result.table_columns``: the
# primary scheme's, then each other scheme's group); the pass-through columns follow them.
TRAILING_COLUMNS = ("errors", "warnings")
Row = dict[str, Any]


PYARROW_MISSING = "writing Parquet needs pyarrow: pip install 'pedall[parquet]'"


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError as error:  # an optional extra
        raise InputFormatError(PYARROW_MISSING) from error
    return pa


def require_pyarrow() -> None:
    """InputFormatError, saying how to install it, when pyarrow is not installed; checked
    without importing it (a cohort run imports it after forking its workers)."""
    if importlib.util.find_spec("pyarrow") is None:
        raise InputFormatError(PYARROW_MISSING)


def results_schema(schemes: Schemes, extras: Sequence[str]) -> Any:
    """The Arrow schema of the results, with the pass-through columns ``extras``."""
    pa = _pyarrow()
    strings = pa.list_(pa.string())
    issue = pa.struct([("column", pa.string()), ("value", pa.string()), ("message", pa.string())])
    criterion = pa.struct(
        [
            ("id", pa.string()),
            ("label", pa.string()),
            ("group", pa.string()),
            ("sources", strings),
        ]
    )
    types = {
        "possible_groups": strings,
        "provisional": pa.bool_(),
        "missing": strings,
        "criteria": pa.list_(criterion),
    }
    return pa.schema(
        [
            *((column, types.get(column, pa.string())) for column in table_columns(schemes)),
            *((column, pa.string()) for column in extras),
            ("errors", pa.list_(issue)),
            ("warnings", pa.list_(issue)),
        ]
    )


def _issue(issue: PatientIssue) -> dict[str, str | None]:
    return {"column": issue.column, "value": issue.value, "message": issue.message}


def classification_columns(result: Classification, extras: Sequence[str]) -> Row:
    """The columns of a classified row but its errors and warnings."""
    outcome = result.outcome
    row: Row = {
        "patient_id": result.patient_id,
        outcome.primary_key: outcome.risk_group,
        "possible_groups": list(outcome.possible_groups),
        "provisional": outcome.provisional,
        "missing": list(outcome.missing),
        "criteria": [
            {"id": c.id, "label": c.label, "group": c.group, "sources": list(c.sources)}
            for c in outcome.criteria
        ],
        **dict(outcome.others),
    }
    for column in extras:
        row[column] = result.extra.get(column)
    return row


def result_row(
    classified: Row | None,
    issues: Sequence[PatientIssue],
    extras: Sequence[str],
    leading: Sequence[str],
) -> Row:
    """One output row: the classification columns (``classification_columns``) with the
    row's issues, or, for a row (or whole file) that was not classified, a null
    classification (its ``leading`` columns, ``table_columns``) with its errors (the
    patient id taken from its issues)."""
    if classified is None:
        row: Row = {column: None for column in (*leading, *extras)}
        row.update(possible_groups=[], missing=[], criteria=[])
        row["patient_id"] = next((i.patient_id for i in issues if i.patient_id), None)
    else:
        row = dict(classified)
    row["errors"] = [_issue(i) for i in errors_in(issues)]
    row["warnings"] = [_issue(i) for i in warnings_in(issues)]
    return row


def placed_results(
    results: Sequence[Classification], issues: Iterable[PatientIssue]
) -> Iterator[tuple[Classification | None, list[PatientIssue]]]:
    """Each result with the issues of its row, and each row (or whole file) with issues but
    no result, in input order (files in the order first seen, then by line)."""
    by_place: dict[tuple[str, int | None, str | None], list[PatientIssue]] = {}
    for issue in issues:
        by_place.setdefault((issue.source or "", issue.line, issue.node), []).append(issue)
    placed: list[tuple[tuple[str, int], Classification | None, list[PatientIssue]]] = []
    sources: dict[str, int] = {}
    for result in results:
        place = (result.source, result.line, None)
        found = by_place.pop(place, []) if result.line is not None else []
        placed.append(((result.source, result.line or 0), result, found))
        sources.setdefault(result.source, len(sources))
    for (source, line, _node), found in by_place.items():
        sources.setdefault(source, len(sources))
        placed.append(((source, line or 0), None, found))
    placed.sort(key=lambda item: (sources[item[0][0]], item[0][1]))
    for _, placed_result, found in placed:
        yield placed_result, found


def result_rows(
    results: Sequence[Classification],
    issues: Iterable[PatientIssue],
    extras: Sequence[str],
    schemes: Schemes,
) -> Iterator[Row]:
    """One row per input row, in input order: each result with the warnings of its row,
    and each row (or whole file) that had errors with a null classification."""
    leading = table_columns(schemes)
    for result, found in placed_results(results, issues):
        classified = None if result is None else classification_columns(result, extras)
        yield result_row(classified, found, extras, leading)


@dataclass
class ParquetRows:
    """Rows streamed to a Parquet file (``sink``, binary) with the fixed schema of
    ``results_schema(schemes, extras)``, a row group every ``row_group_rows`` rows;
    ``close`` writes the last row group and the footer. Memory is bounded by one row group."""

    sink: IO[bytes]
    schemes: Schemes
    extras: tuple[str, ...]
    row_group_rows: int = ROW_GROUP_ROWS
    written: int = field(default=0, init=False)  # rows in the row groups written
    _rows: list[Row] = field(default_factory=list, init=False)
    _columns: list[Any] = field(default_factory=list, init=False)  # Arrow record batches
    _held: int = field(default=0, init=False)  # rows in ``_columns``
    _writer: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.row_group_rows < 1:
            raise ValueError("row_group_rows must be at least 1")
        self._schema = results_schema(self.schemes, self.extras)  # InputFormatError if no pyarrow
        import pyarrow.parquet as pq

        self._writer = pq.ParquetWriter(self.sink, self._schema)

    def __enter__(self) -> ParquetRows:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.close()
        elif self._writer is not None:  # the file is to be dropped: no last row group
            self._writer.close()
            self._writer = None

    def add(self, row: Row) -> None:
        """Add one row (the keys of the schema); a row group is written when full."""
        self._rows.append(row)
        if len(self._rows) >= min(CONVERTED_ROWS, self.row_group_rows):
            self._convert()
        while self._held >= self.row_group_rows:
            self._write_row_group(self.row_group_rows)

    def close(self) -> None:
        """Write what is held as the last row group, then the file's footer."""
        if self._writer is None:
            return
        self._convert()
        if self._held:
            self._write_row_group(self._held)
        self._writer.close()
        self._writer = None

    def _convert(self) -> None:
        if self._rows:
            pa = _pyarrow()
            self._columns.append(pa.RecordBatch.from_pylist(self._rows, schema=self._schema))
            self._held += len(self._rows)
            self._rows = []

    def _write_row_group(self, rows: int) -> None:
        pa = _pyarrow()
        held = pa.Table.from_batches(self._columns, schema=self._schema)
        self._writer.write_table(held.slice(0, rows), row_group_size=rows)
        rest = held.slice(rows)
        self._columns = rest.to_batches() if rest.num_rows else []
        self._held -= rows
        self.written += rows


def write_results_parquet(
    results: Sequence[Classification],
    issues: Sequence[PatientIssue],
    path: Path,
    schemes: Schemes,
) -> int:
    """Write the results to ``path`` (through a temporary file and a rename, so never left
    partial; mode 0600, as patient data), in row groups of ``ROW_GROUP_ROWS``; the number
    of rows written."""
    extras = tuple(extra_columns(results))
    require_pyarrow()  # before any file is made
    with (
        open_binary_atomically(path, private=True) as sink,
        ParquetRows(sink, schemes, extras) as rows,
    ):
        for row in result_rows(results, issues, extras, schemes):
            rows.add(row)
    return rows.written
