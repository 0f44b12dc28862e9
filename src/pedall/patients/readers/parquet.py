"""Read patient data from a Parquet file: the columns of the CSV patient table, as text or
typed, read in record batches and checked row by row exactly as CSV rows are.

Typed values become the text a CSV cell would hold (``true``/``false`` for booleans, an
empty cell for null, an integral float without ``.0``, list items ``;``-joined as the
``lesions`` column writes them), so every rule and every located issue is the CSV one.
Rows are numbered as lines of the same table written as CSV (header = line 1). pyarrow is
imported when a file is read (``pip install 'pedall[parquet]'``).
"""

from __future__ import annotations

import csv
import decimal
import io
import math
from collections.abc import Iterator
from typing import Any

from pedall.errors import InputFormatError
from pedall.patients.header import TableHeader
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import ReadResult, open_table, read_rows
from pedall.patients.readers.lesion_cells import LESION_SEPARATOR

BATCH_ROWS = 65_536


def cell_text(value: Any) -> str:
    """A typed Parquet value as the text of a CSV cell.

    >>> [cell_text(v) for v in (None, True, 12000.0, 4.5, 7, ["ETV6-RUNX1", "t(9;22)"], "B")]
    ['', 'true', '12000', '4.5', '7', 'ETV6-RUNX1;t(9;22)', 'B']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        # Positional, as a table writes it (repr gives 5e-05, which a cell may not hold).
        return format(decimal.Decimal(repr(value)), "f")
    if isinstance(value, list | tuple):
        return LESION_SEPARATOR.join(cell_text(item) for item in value)
    return str(value)


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:  # an optional extra
        raise InputFormatError(
            "reading Parquet needs pyarrow: pip install 'pedall[parquet]'"
        ) from error
    return pq


def parquet_rows(payload: bytes, source: str) -> tuple[list[str], Iterator[list[str]]]:
    """The column names of a Parquet file and its rows as CSV cell texts, batch by batch;
    InputFormatError when it is not a Parquet file."""
    pq = _pyarrow_parquet()
    try:
        parquet = pq.ParquetFile(io.BytesIO(payload))
    except Exception as error:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise InputFormatError(f"{source}: not a readable Parquet file ({error})") from error
    names = [str(name) for name in parquet.schema_arrow.names]

    def rows() -> Iterator[list[str]]:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            columns = [column.to_pylist() for column in batch.columns]
            for index in range(batch.num_rows):
                yield [cell_text(column[index]) for column in columns]

    return names, rows()


def open_parquet_table(
    payload: bytes, model: PatientModel, source: str
) -> tuple[TableHeader, Iterator[tuple[int, list[str]]]]:
    """The header of a patient table stored as Parquet, matched as a CSV header is, and an
    iterator over its non-blank rows as CSV cell texts, each with the line it would be on
    in the same table written as CSV (what ``open_table`` gives for a CSV table)."""
    names, rows = parquet_rows(payload, source)
    if not any(name.strip() for name in names):
        raise InputFormatError(f"{source}: no columns, expected a patient_id column")
    header_line = io.StringIO()
    csv.writer(header_line, lineterminator="\n").writerow(names)
    header, _ = open_table(io.StringIO(header_line.getvalue(), newline=""), model, source)
    numbered = (
        (line, row)
        for line, row in enumerate(rows, start=2)
        if "".join(row).strip()  # a blank row, skipped as in CSV
    )
    return header, numbered


def read_parquet(payload: bytes, model: PatientModel, source: str = "<input>") -> ReadResult:
    """Read a patient table stored as Parquet, with the rules and issues of ``read_csv``."""
    header, rows = open_parquet_table(payload, model, source)
    return read_rows(header, rows, model, source)
