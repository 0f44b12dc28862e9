"""Classify and check patient tables on Spark: ``classify(df)`` returns one row per input
row with the fixed results schema of ``--format parquet``, ``validate(df)`` one row per
input row with its errors and warnings, computed on the executors.

Each Arrow batch Spark hands to ``mapInPandas`` is read by the Parquet reader (so typed
and text columns are read as the CSV cells, with the same located errors) and classified
by the compiled engine, which each Python worker builds once from the packaged data files
(``pip install 'pedall[spark]'``). Nothing is collected to the driver. Duplicate patient
ids are found within a batch only: Spark gives no row order across partitions. Issues of
the header (line 1, such as a missing ``lesions`` column) are about the table, not a row:
they are given once on the driver as Python warnings, not repeated on every batch.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pedall.api import classify_input, validate_input
from pedall.errors import PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.patients.model import ID_COLUMN, LESIONS_COLUMN
from pedall.patients.readers.parquet import read_parquet
from pedall.toolkit import toolkit
from pedall.writers.parquet import result_rows, results_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PARQUET = "application/vnd.apache.parquet"
SOURCE = "spark"
HEADER_LINE = 1
_worker_knowledge: KnowledgeBase | None = None


def worker_knowledge() -> KnowledgeBase:
    """The knowledge base of this Python process, built once (the closure cache is used)."""
    global _worker_knowledge
    if _worker_knowledge is None:
        _worker_knowledge = KnowledgeBase(DataFiles.default(), ClosureCache.default())
        _ = toolkit(_worker_knowledge).fast_engine  # compiled once, before the first batch
    return _worker_knowledge


def pass_through_columns(columns: list[str]) -> list[str]:
    """The columns of a patient table that are not the contract's, as the reader sees them
    (the header matched as a CSV header is)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({name: pa.array([], pa.string()) for name in columns}), sink)
    kb = worker_knowledge()
    read = read_parquet(sink.getvalue(), toolkit(kb).model, SOURCE)
    for issue in read.issues:
        warnings.warn(f"{issue.column}: {issue.message}", UserWarning, stacklevel=3)
    header = read.columns
    fields = toolkit(kb).model.field_by_column()
    return [c for c in header if c not in fields and c not in (ID_COLUMN, LESIONS_COLUMN)]


def _classify_frames(extras: list[str]) -> Any:
    def classify_frames(frames: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        kb = worker_knowledge()
        schemes = toolkit(kb).schemes
        names = [field.name for field in results_schema(schemes, extras)]
        for frame in frames:
            sink = io.BytesIO()
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
            outcome = classify_input(kb, sink.getvalue(), PARQUET, source=SOURCE)
            issues = [issue for issue in outcome.issues if issue.line != HEADER_LINE]
            rows = list(result_rows(outcome.results, issues, extras, schemes))
            yield pd.DataFrame(rows, columns=names)

    return classify_frames


def classify(df: DataFrame) -> DataFrame:
    """One row per row of ``df`` (patient-table columns, strings or typed): the
    classification, the pass-through columns and the row's errors and warnings (a row
    with an error has a null ``risk_group``)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    extras = pass_through_columns(list(df.columns))  # warns of header issues
    schema = from_arrow_schema(results_schema(toolkit(worker_knowledge()).schemes, extras))
    return df.mapInPandas(_classify_frames(extras), schema=schema)


VALIDATION_COLUMNS = ("patient_id", "errors", "warnings")


def validation_rows(issues: list[PatientIssue], lines: dict[int, str]) -> list[dict[str, Any]]:
    """One row per line read (``lines``: line to patient id) or with issues, in line order:
    the patient id and the row's errors and warnings."""
    rows: dict[int | None, dict[str, Any]] = {
        line: {"patient_id": patient_id, "errors": [], "warnings": []}
        for line, patient_id in lines.items()
    }
    for issue in issues:
        row = rows.setdefault(
            issue.line, {"patient_id": issue.patient_id, "errors": [], "warnings": []}
        )
        found = {"column": issue.column, "value": issue.value, "message": issue.message}
        row["errors" if issue.is_error else "warnings"].append(found)
    return [rows[line] for line in sorted(rows, key=lambda line: line or 0)]


def _validate_frames(frames: Iterator[Any]) -> Iterator[Any]:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    kb = worker_knowledge()
    for frame in frames:
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
        outcome = validate_input(kb, sink.getvalue(), PARQUET, source=SOURCE)
        lines = {r.line: r.patient_id for r in outcome.records if r.line is not None}
        issues = [issue for issue in outcome.issues if issue.line != HEADER_LINE]
        rows = validation_rows(issues, lines)
        yield pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))


def validate(df: DataFrame) -> DataFrame:
    """One row per row of ``df``: its ``patient_id`` and the data-quality ``errors`` and
    ``warnings`` (column, value, message) that ``pedall validate`` reports for it."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    issue = pa.struct([("column", pa.string()), ("value", pa.string()), ("message", pa.string())])
    schema = pa.schema(
        [("patient_id", pa.string()), ("errors", pa.list_(issue)), ("warnings", pa.list_(issue))]
    )
    pass_through_columns(list(df.columns))  # warns of header issues
    return df.mapInPandas(_validate_frames, schema=from_arrow_schema(schema))
