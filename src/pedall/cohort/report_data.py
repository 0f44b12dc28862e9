"""What a cohort report shows, gathered from each input: the patients with their groups,
criteria and sources, the cohort summary, and the data-quality issues counted by column
and rule (the message of the check that raised them).

An input is either patient data, classified here (``pedall.api``), or a Parquet file or
folder of results, as ``pedall classify --format parquet`` and ``pedall.spark.classify``
write them (``pedall.writers.parquet``), read in record batches. Results files carry no
``deciding``, so their provisional patients are counted under the columns in ``missing``
(the columns ``deciding`` has one entry each for) and what each would settle is not known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pedall.api import ClassifyOutcome
from pedall.classify.result import Classification, PossibleGroups, table_columns
from pedall.classify.schemes import Schemes
from pedall.cohort.summary import ClassificationSummary, SummaryEntry
from pedall.errors import InputFormatError, PatientIssue
from pedall.writers.parquet import TRAILING_COLUMNS

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ReportCriterion:
    """A criterion met, as the patient table shows it."""

    label: str
    group: str
    section: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ReportPatient(PossibleGroups):
    """One classified patient, as the patient table shows it."""

    patient_id: str
    where: str
    possible_groups: tuple[str, ...]
    others: tuple[str | None, ...]  # each other scheme's group, in report order
    missing: tuple[str, ...]
    criteria: tuple[ReportCriterion, ...]
    deciding: tuple[str, ...]  # one line a column: its answers and the groups under each


@dataclass(frozen=True)
class IssueCount:
    """How often one rule (its message) raised an error or a warning on one column."""

    severity: str
    column: str
    rule: str
    count: int


@dataclass
class ReportContent:
    """Everything the report shows, added one input at a time."""

    summary: ClassificationSummary
    schemes: Schemes
    patients: list[ReportPatient] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    _issues: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @classmethod
    def for_schemes(cls, schemes: Schemes) -> ReportContent:
        return cls(ClassificationSummary.for_schemes(schemes), schemes)

    def add_classified(self, source: str, outcome: ClassifyOutcome) -> None:
        """The results and issues of patient data classified in memory."""
        self.inputs.append(source)
        for result in outcome.results:
            self.summary.add(SummaryEntry.of(result))
            self.patients.append(_patient(result))
        self.add_issues(outcome.issues)

    def add_issues(self, issues: Sequence[PatientIssue]) -> None:
        """Issues of whole inputs (each row counted once in the summary)."""
        self.summary.add_issues(issues)
        self._count(issues)

    def add_results_file(self, path: Path, name: str) -> None:
        """The rows of a Parquet results file (or a folder of them, as Spark writes)."""
        self.inputs.append(name)
        dataset = open_results(path, self.schemes)
        number = 0
        for batch in dataset.to_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                self._add_results_row(row, f"{name}, row {number}", name)

    def issue_counts(self) -> list[IssueCount]:
        """Each (severity, column, rule) with its count: errors first, then the commonest."""
        counts = [IssueCount(s, c, r, n) for (s, c, r), n in self._issues.items()]
        return sorted(counts, key=lambda i: (i.severity != "error", -i.count, i.column, i.rule))

    def issues_by_column(self) -> list[tuple[str, int, int]]:
        """Each column with its errors and warnings, the most issues first."""
        by_column: dict[str, list[int]] = {}
        for issue in self.issue_counts():
            counts = by_column.setdefault(issue.column, [0, 0])
            counts[0 if issue.severity == "error" else 1] += issue.count
        ranked = sorted(by_column.items(), key=lambda item: (-sum(item[1]), item[0]))
        return [(column, errors, warnings) for column, (errors, warnings) in ranked]

    def _count(self, issues: Iterable[PatientIssue]) -> None:
        for issue in issues:
            severity = "error" if issue.is_error else "warning"
            self._issues[(severity, issue.column or "(whole row or file)", issue.message)] += 1

    def _add_results_row(self, row: Mapping[str, Any], where: str, source: str) -> None:
        issues = [
            PatientIssue(None, found["column"], found["value"], found["message"], severity=kind)
            for key, kind in (("errors", "error"), ("warnings", "warning"))
            for found in row.get(key) or ()
        ]
        self.summary.add_row_issues(issues)
        self._count(issues)
        primary = self.schemes.primary.report_key
        if row.get(primary) is None:
            return  # a row with errors: not classified
        possible = tuple(row.get("possible_groups") or (row[primary],))
        missing = tuple(row.get("missing") or ())
        patient_id = str(row.get("patient_id") or "")
        others = tuple((s.report_key, row.get(s.report_key)) for s in self.schemes.secondary)
        self.summary.add(SummaryEntry(patient_id, source, None, possible, others, missing, None))
        criteria = tuple(
            ReportCriterion(c["label"], c["group"], "", tuple(c.get("sources") or ()))
            for c in row.get("criteria") or ()
        )
        self.patients.append(
            ReportPatient(
                patient_id, where, possible, tuple(c for _, c in others), missing, criteria, ()
            )
        )


def results_columns(schemes: Schemes) -> frozenset[str]:
    """The columns every Parquet results file has."""
    return frozenset((*table_columns(schemes), *TRAILING_COLUMNS))


def open_results(path: Path, schemes: Schemes) -> Any:
    """The Parquet results at ``path`` as a pyarrow dataset; InputFormatError when it is not
    one (or pyarrow is missing)."""
    try:
        import pyarrow.dataset as ds
    except ImportError as error:  # an optional extra
        raise InputFormatError(
            "reading Parquet needs pyarrow: pip install 'pedall[parquet]'"
        ) from error
    try:
        dataset = ds.dataset(path, format="parquet")
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise InputFormatError(f"{path}: not a Parquet file or folder ({error})") from error
    absent = sorted(results_columns(schemes) - set(dataset.schema.names))
    if absent:
        raise InputFormatError(f"{path}: not pedall results; no column {', '.join(absent)}")
    return dataset


def is_results_file(path: Path, schemes: Schemes) -> bool:
    """Whether ``path`` is Parquet results (a results folder, or a Parquet file with the
    results columns) rather than a patient table."""
    if path.is_dir():
        return True
    if path.suffix.lower() != ".parquet":
        return False
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return False  # the patient reader asks for pyarrow
    try:
        names = set(pq.read_schema(path).names)
    except (OSError, ValueError):
        return False  # not Parquet at all: the patient reader says so, located
    return names >= results_columns(schemes)


def _patient(result: Classification) -> ReportPatient:
    outcome = result.outcome
    where = result.source + (f", line {result.line}" if result.line is not None else "")
    criteria = tuple(
        ReportCriterion(c.label, c.group, c.section, c.sources) for c in outcome.criteria
    )
    deciding = tuple(
        f"{d.column}: "
        + "; ".join(f"{o.when} → {', '.join(o.possible_groups)}" for o in d.outcomes)
        for d in outcome.deciding
    )
    return ReportPatient(
        result.patient_id,
        where,
        outcome.possible_groups,
        tuple(code for _, code in outcome.others),
        outcome.missing,
        criteria,
        deciding,
    )
