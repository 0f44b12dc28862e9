"""Writers of the cohort runner that are no output format: ``NoResults`` (validation only,
or only the summary's entries are wanted) and ``IssueCounting``, which counts each row's
issues into the cohort summary as the rows pass to another writer.

The output formats' writers are in ``pedall.writers`` (``pedall.writers.registry``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pedall.cohort.summary import ClassificationSummary
from pedall.errors import PatientIssue
from pedall.writers.registry import NO_RENDERING, Rendered, ResultWriter


@dataclass
class NoResults:
    """Nothing is written: validation only, or only the summary's entries are wanted."""

    render: str = NO_RENDERING
    streams: bool = True

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return ()

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        return None

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        return None


@dataclass
class IssueCounting:
    """A writer that counts each row's issues into ``summary`` as they pass, then hands the
    row to ``writer``: every row is counted, also past the cap on the issues listed
    (``--max-issues``), which keeps only the first ones."""

    writer: ResultWriter
    summary: ClassificationSummary
    render: str = field(init=False)
    streams: bool = field(init=False)

    def __post_init__(self) -> None:
        self.render = self.writer.render
        self.streams = self.writer.streams

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return self.writer.start(extras)

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if issues:
            self.summary.add_row_issues(issues)
        self.writer.write(rendered, issues)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        self.writer.finish(issues)
