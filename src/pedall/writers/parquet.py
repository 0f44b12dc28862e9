"""Write classification results as Parquet with a fixed schema: one row per input row,
the classification (null ``risk_group`` on a row with an error), the pass-through columns,
and the row's errors and warnings.

The schema is the one ``pedall.spark`` returns, so a Parquet file and a Spark DataFrame of
results can be unioned. Rows are written in row groups of ``BATCH_ROWS``. pyarrow is
imported when a file is written (``pip install 'pedall[parquet]'``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pedall.classify.result import Classification
from pedall.errors import InputFormatError, PatientIssue
from pedall.writers.results import extra_columns

BATCH_ROWS = 65_536
# The fixed columns, in order; the pass-through columns follow ``nci_rome``.
LEADING_COLUMNS = (
    "patient_id",
    "risk_group",
    "possible_groups",
    "provisional",
    "missing",
    "criteria",
    "nci_rome",
)
TRAILING_COLUMNS = ("errors", "warnings")
Row = dict[str, Any]


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError as error:  # an optional extra
        raise InputFormatError(
            "writing Parquet needs pyarrow: pip install 'pedall[parquet]'"
        ) from error
    return pa


def results_schema(extras: Sequence[str]) -> Any:
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
    return pa.schema(
        [
            ("patient_id", pa.string()),
            ("risk_group", pa.string()),
            ("possible_groups", strings),
            ("provisional", pa.bool_()),
            ("missing", strings),
            ("criteria", pa.list_(criterion)),
            ("nci_rome", pa.string()),
            *((column, pa.string()) for column in extras),
            ("errors", pa.list_(issue)),
            ("warnings", pa.list_(issue)),
        ]
    )


def _issue(issue: PatientIssue) -> dict[str, str | None]:
    return {"column": issue.column, "value": issue.value, "message": issue.message}


def result_rows(
    results: Sequence[Classification], issues: Iterable[PatientIssue], extras: Sequence[str]
) -> Iterator[Row]:
    """One row per input row, in input order: each result with the warnings of its row,
    and each row (or whole file) that had errors with a null classification."""
    by_place: dict[tuple[str, int | None, str | None], list[PatientIssue]] = {}
    for issue in issues:
        by_place.setdefault((issue.source or "", issue.line, issue.node), []).append(issue)
    placed: list[tuple[tuple[str, int], Row]] = []
    sources: dict[str, int] = {}
    for result in results:
        place = (result.source, result.line, None)
        found = by_place.pop(place, []) if result.line is not None else []
        row = _result_row(result, extras)
        row["warnings"] = [_issue(i) for i in found if not i.is_error]
        placed.append(((result.source, result.line or 0), row))
        sources.setdefault(result.source, len(sources))
    for (source, line, _node), found in by_place.items():
        errors = [i for i in found if i.is_error]
        sources.setdefault(source, len(sources))
        row = {column: None for column in (*LEADING_COLUMNS, *extras)}
        row.update(possible_groups=[], missing=[], criteria=[])
        row["patient_id"] = next((i.patient_id for i in found if i.patient_id), None)
        row["errors"] = [_issue(i) for i in errors]
        row["warnings"] = [_issue(i) for i in found if not i.is_error]
        placed.append(((source, line or 0), row))
    placed.sort(key=lambda item: (sources[item[0][0]], item[0][1]))
    for _, row in placed:
        yield row


def _result_row(result: Classification, extras: Sequence[str]) -> Row:
    outcome = result.outcome
    row: Row = {
        "patient_id": result.patient_id,
        "risk_group": outcome.risk_group,
        "possible_groups": list(outcome.possible_groups),
        "provisional": outcome.provisional,
        "missing": list(outcome.missing),
        "criteria": [
            {"id": c.id, "label": c.label, "group": c.group, "sources": list(c.sources)}
            for c in outcome.criteria
        ],
        "nci_rome": outcome.nci_rome,
        "errors": [],
    }
    for column in extras:
        row[column] = result.extra.get(column)
    return row


def write_results_parquet(
    results: Sequence[Classification], issues: Sequence[PatientIssue], path: Path
) -> int:
    """Write the results to ``path`` (through a temporary file and a rename, so never left
    partial; mode 0600, as patient data), in row groups of ``BATCH_ROWS``; the number of
    rows written."""
    import pyarrow.parquet as pq

    pa = _pyarrow()
    extras = extra_columns(results)
    schema = results_schema(extras)
    temporary = path.with_name(f".{path.name}.tmp")
    written = 0
    try:
        with pq.ParquetWriter(temporary, schema) as writer:
            batch: list[Row] = []
            for row in result_rows(results, issues, extras):
                batch.append(row)
                if len(batch) == BATCH_ROWS:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    written, batch = written + len(batch), []
            if batch or not written:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                written += len(batch)
        temporary.chmod(0o600)  # patient data: readable by its owner only
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return written
