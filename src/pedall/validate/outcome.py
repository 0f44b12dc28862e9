"""The outcome of validating patient input: its issues, whether it conforms, the SHACL
report graph, and the reports for a program (JSON) and for a person (text)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import SH

from pedall import RESEARCH_NOTICE
from pedall.errors import IssueList, PatientIssue, not_shown
from pedall.patients.printable import printable
from pedall.patients.readers.csv_table import PatientRecord
from pedall.validate.checker import DataQualityChecker
from pedall.validate.shape_issues import ShapeIssue


@dataclass(eq=False)
class ValidationOutcome(IssueList):
    """The result of validating patient input: the issues (reader and shapes), whether it
    conforms (no errors; warnings allowed), and the SHACL report graph on demand."""

    issues: list[PatientIssue]
    records: list[PatientRecord]
    checker: DataQualityChecker
    reference_report: Graph | None = None  # pyshacl's report when it already ran

    @property
    def conforms(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            **self.issues_json(),
        }

    @cached_property
    def report_graph(self) -> Graph:
        """The standard SHACL validation report of the records that were read (rows the
        reader rejected never became RDF, so their issues are only in ``issues``), with
        pedall's verdict (``with_verdict``)."""
        if self.reference_report is not None:
            return self.with_verdict(self.reference_report)
        return self.with_verdict(self.checker.report_graph(self.records))

    def with_verdict(self, report: Graph) -> Graph:
        """``report`` (changed in place) saying what ``conforms`` says, as the exit status
        and the HTTP status do: ``sh:conforms false`` beside any error, of the shapes or of
        reading the input, and ``true`` when there are warnings only (pyshacl counts any
        result against conformance, whatever its severity). Errors of reading, which are
        no SHACL results, are counted in an ``rdfs:comment`` on the report."""
        unread = [issue for issue in self.errors if not isinstance(issue, ShapeIssue)]
        for node in set(report.subjects(RDF.type, SH.ValidationReport)):
            report.set((node, SH.conforms, Literal(self.conforms)))
            if unread:
                note = (
                    f"{len(unread)} error(s) of reading the input are not SHACL results "
                    "(those rows never became RDF); pedall's JSON report lists them."
                )
                report.set((node, RDFS.comment, Literal(note, lang="en")))
        return report

    def as_text(self) -> str:
        """A report for a person: each problem with its patient, field, value and reason."""
        errors, warnings = self.errors, self.warnings
        verdict = "conforms" if self.conforms else "does not conform"
        hidden = not_shown(self.issues)
        hidden_errors = hidden.get("errors_not_shown", 0)
        hidden_warnings = hidden.get("warnings_not_shown", 0)
        lines = [
            "pedall data-quality report",
            f"{len(errors) + hidden_errors} error(s), {len(warnings) + hidden_warnings} "
            f"warning(s): the input {verdict}.",
        ]
        for title, issues, more in (
            ("Errors", errors, hidden_errors),
            ("Warnings", warnings, hidden_warnings),
        ):
            if issues:
                lines += ["", f"{title}:"]
                # Patient text is shown as escapes where it holds control characters.
                lines += [printable(_describe(issue)) for issue in issues]
            if more:
                lines.append(f"  ... and {more:,} more, not shown (option --max-issues)")
        lines += ["", RESEARCH_NOTICE]
        return "\n".join(lines) + "\n"


def _describe(issue: PatientIssue) -> str:
    where = []
    if issue.source and not issue.source.startswith("<"):
        where.append(issue.source)
    if issue.line is not None:
        where.append(f"line {issue.line}")
    elif issue.node is not None:
        where.append(f"node <{issue.node}>")
    where.append(f"patient {issue.patient_id}" if issue.patient_id else "no patient_id")
    if issue.column is not None:
        shown = "(empty)" if issue.value in (None, "") else issue.value
        where.append(f"{issue.column} = {shown}")
    shape = f" [{issue.shape_reference}]" if isinstance(issue, ShapeIssue) else ""
    return f"  - {', '.join(where)}: {issue.message}{shape}"
