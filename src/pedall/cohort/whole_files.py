"""Patient files classified whole, one after the other, as ``pedall.api`` classifies an
upload: what the reference engine does, and what the writers that hold every result (a
table for a person, RDF, FHIR) are given, so that their output is the same whichever
engine ran."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Protocol

from pedall.api import classify_input, read_input
from pedall.classify.result import Classification
from pedall.errors import CappedIssues, InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.input_limits import InputLimits
from pedall.writers.registry import TakesRecords


class PatientInput(Protocol):
    """One patient input (``pedall.cohort.runner.PatientFile``)."""

    @property
    def open(self) -> Callable[[], AbstractContextManager[IO[bytes]]]: ...

    @property
    def media_type(self) -> str: ...

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class ClassifiedFile:
    """One input classified whole: its results and issues (one issue, and no result, when
    it could not be read at all)."""

    results: list[Classification]
    issues: Sequence[PatientIssue]


def classify_whole(
    kb: KnowledgeBase,
    files: Sequence[PatientInput],
    engine: str,
    limits: InputLimits,
    records: TakesRecords | None = None,
) -> tuple[list[ClassifiedFile], list[PatientIssue]]:
    """Every file read and classified by ``engine`` within ``limits``, in order, and all
    their issues (the first ``limits.max_issues`` of each severity); each file's records go
    to ``records`` too, when given (a writer that writes the patients' data)."""
    issues = CappedIssues(limits.max_issues)
    classified: list[ClassifiedFile] = []
    for file in files:
        with file.open() as stream:
            payload = stream.read()
        try:
            outcome = classify_input(
                kb, payload, file.media_type, source=file.source, engine=engine, limits=limits
            )
            if records is not None:
                read = read_input(kb, payload, file.media_type, file.source, limits)
                records.add_records(file.source, read.records)
        except InputFormatError as error:
            issue = PatientIssue(error.line, None, None, str(error), None, file.source)
            classified.append(ClassifiedFile([], [issue]))
            issues.append(issue)
            continue
        classified.append(ClassifiedFile(outcome.results, outcome.issues))
        issues += outcome.issues
    return classified, issues
