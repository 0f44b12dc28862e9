"""Where a cohort's rendered results go, in input order, as they are produced: the JSON
document or CSV table of ``pedall classify``, written one result at a time, or nowhere
(validation only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from pedall import RESEARCH_NOTICE
from pedall.cohort.rendering import json_value
from pedall.cohort.summary import ClassificationSummary
from pedall.errors import PatientIssue, errors_in, not_shown, warnings_in
from pedall.writers.results import CSV_COLUMNS, csv_header, csv_line


class ResultWriter(Protocol):
    """Where rendered results go, in input order."""

    render: str

    def start(self, extras: Sequence[str]) -> None: ...
    def write(self, rendered: str) -> None: ...
    def finish(self, issues: Sequence[PatientIssue]) -> None: ...


@dataclass
class JsonResults:
    """Writes the JSON document of ``pedall classify --format json`` (the same bytes),
    one result at a time: ``{"results": [...], "errors": [...], "warnings": [...],
    "notice": ...}``. With a ``summary`` (``--summary``), which the caller fills as the
    results stream, the issues are counted into it at the end and ``"summary": {...}``
    comes before the notice; without one the document is unchanged."""

    out: IO[str]
    render: str = "json"
    summary: ClassificationSummary | None = None
    _count: int = 0

    def start(self, extras: Sequence[str]) -> None:
        return None

    def write(self, rendered: str) -> None:
        self.out.write(('{\n  "results": [\n' if self._count == 0 else ",\n") + rendered)
        self._count += 1

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if self._count == 0:
            self.out.write('{\n  "results": [],\n')
        else:
            self.out.write("\n  ],\n")
        errors = [i.as_dict() for i in errors_in(issues)]
        warnings = [i.as_dict() for i in warnings_in(issues)]
        parts: list[tuple[str, object]] = [("errors", errors), ("warnings", warnings)]
        parts += not_shown(issues).items()  # when the issues were capped: how many were not
        if self.summary is not None:
            self.summary.add_issues(issues)
            parts.append(("summary", self.summary.as_dict()))
        for key, value in parts:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self.out.write(f"  {json_value(key)}: {text},\n")
        self.out.write(f'  "notice": {json_value(RESEARCH_NOTICE)}\n}}\n')


@dataclass
class CsvResults:
    """Writes the CSV table of ``pedall classify --format csv``, one row at a time."""

    out: IO[str]
    render: str = "csv"
    _extras: tuple[str, ...] | None = None
    _written: bool = False

    def start(self, extras: Sequence[str]) -> None:
        if self._extras is None:
            self._extras = tuple(extras)

    def write(self, rendered: str) -> None:
        if not self._written:
            self.out.write(csv_line(csv_header(self._extras or ())))
            self._written = True
        self.out.write(rendered)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if not self._written:
            self.out.write(csv_line(list(CSV_COLUMNS)))

    @property
    def extras(self) -> tuple[str, ...]:
        return self._extras or ()


@dataclass
class NoResults:
    """Nothing is written: validation only, or only the summary's entries are wanted."""

    render: str = "none"

    def start(self, extras: Sequence[str]) -> None:
        return None

    def write(self, rendered: str) -> None:
        return None

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None
