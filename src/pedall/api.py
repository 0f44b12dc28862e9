"""The library API that the CLI and the HTTP service adapt: read patient input in any
supported format, validate it, classify it, and say what went wrong where.

>>> kb = KnowledgeBase.load()
>>> outcome = classify_input(kb, b"patient_id,age_years\\nP1,16\\n", "text/csv")
>>> outcome.results[0].outcome.risk_group
'very-high'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pedall.classify.result import Classification
from pedall.errors import CappedIssues, IssueList, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.patients.readers.csv_table import PatientRecord, ReadResult
from pedall.patients.readers.registry import reader_for_media_type
from pedall.toolkit import Toolkit, toolkit
from pedall.validate.outcome import ValidationOutcome

ENGINES = ("fast", "reference")


@dataclass
class ClassifyOutcome(IssueList):
    """Classified patients and located issues; ``as_json`` is the public JSON contract."""

    results: list[Classification] = field(default_factory=list)
    issues: list[PatientIssue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def as_json(self) -> dict[str, object]:
        return {
            "results": [r.as_dict() for r in self.results],
            **self.issues_json(),
        }


def media_kind(media_type: str) -> str:
    """The name of the reader of a Content-Type (``csv``, ``turtle``, ``json-ld`` ...);
    UnsupportedMediaTypeError (an InputFormatError) otherwise."""
    return reader_for_media_type(media_type).name


def read_input(
    kb: KnowledgeBase,
    payload: bytes,
    media_type: str,
    source: str,
    limits: InputLimits = DEFAULT_LIMITS,
) -> ReadResult:
    """Patient records from input of any registered format (``patients.readers.registry``),
    read within ``limits`` (cell size, columns, nesting depth)."""
    return reader_for_media_type(media_type).read(payload, toolkit(kb), source, limits)


def classify_input(
    kb: KnowledgeBase,
    payload: bytes,
    media_type: str,
    *,
    source: str = "<request>",
    engine: str = "fast",
    limits: InputLimits = DEFAULT_LIMITS,
) -> ClassifyOutcome:
    """Read, check and classify patient input; rows with errors (unreadable cells or
    data-quality errors) are reported, not classified; warnings do not stop a row.
    The input is read within ``limits``; the first ``limits.max_issues`` errors (and
    warnings) are listed, the others counted.

    ``engine="reference"`` checks and classifies with pyshacl and owlrl (slow; a record with
    too many missing fields for it is reported, not classified)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    read = read_input(kb, payload, media_type, source, limits)
    tools = toolkit(kb)
    accepted, issues = _checked(tools, read.records, engine)
    if engine == "reference":
        refused = tools.reference_engine.refusals(accepted)
        issues += refused
        refused_rows = {(i.source, i.line, i.patient_id) for i in refused}
        accepted = [r for r in accepted if (r.source, r.line, r.patient_id) not in refused_rows]
        results = tools.reference_engine.classify(accepted)
    else:
        results = tools.fast_engine.classify(accepted)
    return ClassifyOutcome(results, _in_input_order(read.issues + issues, limits))


def validate_input(
    kb: KnowledgeBase,
    payload: bytes,
    media_type: str,
    *,
    source: str = "<request>",
    engine: str = "fast",
    limits: InputLimits = DEFAULT_LIMITS,
) -> ValidationOutcome:
    """Read patient input (within ``limits``) and check it against the data-quality shapes.

    >>> outcome = validate_input(kb, b"patient_id,age_years\\nP1,-2\\n", "text/csv")
    >>> outcome.conforms, outcome.issues[0].column
    (False, 'age_years')
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    read = read_input(kb, payload, media_type, source, limits)
    checker = toolkit(kb).data_quality
    report = None
    if engine == "reference":
        by_record, report = checker.reference_check(read.records)
        issues = [issue for found in by_record for issue in found]
    else:
        issues = checker.check(read.records)
    ordered = _in_input_order(read.issues + issues, limits)
    return ValidationOutcome(ordered, read.records, checker, report)


def _checked(
    tools: Toolkit, records: list[PatientRecord], engine: str
) -> tuple[list[PatientRecord], list[PatientIssue]]:
    """The records without data-quality errors, and every data-quality issue."""
    accepted: list[PatientRecord] = []
    issues: list[PatientIssue] = []
    for record, found in zip(
        records, tools.data_quality.issues_by_record(records, engine), strict=True
    ):
        issues += found
        if not any(issue.is_error for issue in found):
            accepted.append(record)
    return accepted, issues


def _in_input_order(issues: list[PatientIssue], limits: InputLimits) -> CappedIssues:
    """Issues by source and line (a stable sort: each row's issues keep their order), the
    first ``limits.max_issues`` errors and warnings kept, the others counted."""
    ordered = sorted(issues, key=lambda i: (i.source or "", i.line if i.line is not None else 0))
    return CappedIssues(limits.max_issues, ordered)
