"""The cohort summary: how many patients each group of each scheme holds, how many are
provisional, how many rows had errors, and for each column how many provisional patients
its answer would settle completely (``Deciding.settles``), largest first.

It is counted one patient at a time from a ``SummaryEntry`` (the few things the summary
and the to-do list need of a result), so a streamed cohort is never held in memory; the
entries are small enough to come back from the worker processes with each row.

>>> from pedall.api import classify_input
>>> from pedall.classify.schemes import read_schemes
>>> from pedall.knowledge.base import KnowledgeBase
>>> kb = KnowledgeBase.load()
>>> outcome = classify_input(kb, b"patient_id,age_years\\nP1,5\\nP2,16\\n", "text/csv")
>>> summary = summarize(outcome.results, outcome.issues, read_schemes(kb.graph))
>>> summary.classified, summary.provisional, summary.risk_group["very-high"]
(2, 1, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pedall.classify.result import Classification, PossibleGroups
from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue

UNDETERMINED = "undetermined"  # the count of a scheme's results whose completions disagree


@dataclass(frozen=True)
class SummaryEntry(PossibleGroups):
    """What the summary and the to-do list need of one classified patient: where it came
    from, its possible groups and the other schemes' groups (by report key), the columns
    its ``deciding`` names (in
    its order) and those of them whose every answer leaves one group. ``settled_by`` is
    None when that is not known (results written without ``deciding``)."""

    patient_id: str
    source: str
    line: int | None
    possible_groups: tuple[str, ...]
    others: tuple[tuple[str, str | None], ...]
    deciding: tuple[str, ...]
    settled_by: tuple[str, ...] | None

    @classmethod
    def of(cls, result: Classification) -> SummaryEntry:
        outcome = result.outcome
        return cls(
            result.patient_id,
            result.source,
            result.line,
            outcome.possible_groups,
            outcome.others,
            tuple(deciding.column for deciding in outcome.deciding),
            tuple(deciding.column for deciding in outcome.deciding if deciding.settles()),
        )


@dataclass(frozen=True)
class ColumnCount:
    """One column of the summary: the provisional patients whose ``deciding`` names it, and
    how many of them its answer settles (None when not known)."""

    column: str
    provisional: int
    settles: int | None

    def as_dict(self) -> dict[str, object]:
        return {"column": self.column, "provisional": self.provisional, "settles": self.settles}


def issue_place(issue: PatientIssue) -> tuple[str, int | None, str | None, str | None]:
    """The row (or node, or phenopacket) an issue is about: its source, line, node and patient."""
    return (issue.source or "", issue.line, issue.node, issue.patient_id)


@dataclass
class ClassificationSummary:
    """Counts of a cohort's results, added one entry (and one row's issues) at a time."""

    # By report key, in report order (the primary scheme's first): the patients per group,
    # and the scheme's name as a person reads it.
    groups: dict[str, Counter[str]]
    titles: dict[str, str]
    classified: int = 0
    provisional: int = 0
    rows_with_errors: int = 0
    errors: int = 0
    warnings: int = 0
    _deciding: Counter[str] = field(default_factory=Counter)
    _settles: Counter[str] = field(default_factory=Counter)
    _settles_known: bool = True

    @classmethod
    def for_schemes(cls, schemes: Schemes) -> ClassificationSummary:
        """An empty summary listing every group of every scheme (low rank first), each but
        the primary's ending with ``undetermined``."""
        primary = schemes.primary
        groups = {primary.report_key: Counter(dict.fromkeys(primary.codes(), 0))}
        titles = {primary.report_key: f"{primary.report_label} risk group"}
        for scheme in schemes.secondary:
            groups[scheme.report_key] = Counter(dict.fromkeys([*scheme.codes(), UNDETERMINED], 0))
            titles[scheme.report_key] = scheme.report_label
        return cls(groups, titles)

    @property
    def risk_group(self) -> Counter[str]:
        """The patients per group of the primary scheme."""
        return next(iter(self.groups.values()))

    def add(self, entry: SummaryEntry) -> None:
        """Count one classified patient."""
        self.classified += 1
        self.risk_group[entry.risk_group] += 1
        for key, code in entry.others:
            self.groups[key][code or UNDETERMINED] += 1
        if not entry.provisional:
            return
        self.provisional += 1
        self._deciding.update(entry.deciding)
        if entry.settled_by is None:
            self._settles_known = False
        else:
            self._settles.update(entry.settled_by)

    def add_row_issues(self, issues: Sequence[PatientIssue]) -> None:
        """Count the issues of one row: it is a row with errors when any is an error."""
        errors = sum(1 for issue in issues if issue.is_error)
        self.errors += errors
        self.warnings += len(issues) - errors
        self.rows_with_errors += 1 if errors else 0

    def add_issues(self, issues: Iterable[PatientIssue]) -> None:
        """Count the issues of whole inputs, each row (line, node or phenopacket; a file
        that could not be read is one) counted once."""
        by_place: dict[tuple[str, int | None, str | None, str | None], list[PatientIssue]] = {}
        for issue in issues:
            by_place.setdefault(issue_place(issue), []).append(issue)
        for found in by_place.values():
            self.add_row_issues(found)

    def columns(self) -> list[ColumnCount]:
        """Each column some provisional patient's ``deciding`` names: the one that settles
        most patients first, then the one named most, then by name."""
        counts = [
            ColumnCount(column, named, self._settles[column] if self._settles_known else None)
            for column, named in self._deciding.items()
        ]
        return sorted(counts, key=lambda c: (-(c.settles or 0), -c.provisional, c.column))

    def as_dict(self) -> dict[str, object]:
        """The ``summary`` object of the JSON results document."""
        return {
            "classified": self.classified,
            "provisional": self.provisional,
            "rows_with_errors": self.rows_with_errors,
            "errors": self.errors,
            "warnings": self.warnings,
            **{key: dict(counts) for key, counts in self.groups.items()},
            "deciding": [column.as_dict() for column in self.columns()],
        }


def summarize(
    results: Iterable[Classification],
    issues: Iterable[PatientIssue],
    schemes: Schemes,
) -> ClassificationSummary:
    """The summary of results classified in memory (``pedall.api``) and their issues."""
    summary = ClassificationSummary.for_schemes(schemes)
    for result in results:
        summary.add(SummaryEntry.of(result))
    summary.add_issues(issues)
    return summary


def render_summary(console: Console, summary: ClassificationSummary) -> None:
    """The summary for a person: the totals, the patients per group of each scheme, and
    what each column would settle."""
    console.print(
        Text(
            f"{summary.classified} patient(s) classified, {summary.provisional} provisional; "
            f"{summary.rows_with_errors} row(s) with errors "
            f"({summary.errors} error(s), {summary.warnings} warning(s))."
        )
    )
    for key, counts in summary.groups.items():
        table = Table(title=summary.titles[key])
        table.add_column("group")
        table.add_column("patients", justify="right")
        for group, count in counts.items():
            table.add_row(Text(group), str(count))
        console.print(table)
    if not summary.provisional:
        console.print(Text("No provisional patient: nothing left to decide."))
        return
    table = Table(title="What would decide the provisional patients")
    for header in ("column", "provisional patients it concerns", "settled by its answer"):
        table.add_column(header, justify="left" if header == "column" else "right")
    for column in summary.columns():
        settles = "not known" if column.settles is None else str(column.settles)
        table.add_row(Text(column.column), str(column.provisional), settles)
    console.print(table)
