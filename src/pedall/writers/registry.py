"""The writers registry: which writer writes the results of ``pedall classify`` in a format
(``WRITERS``), and which report ``pedall validate`` writes (``REPORTS``). The CLI's
``--format`` choices, the cohort runner and its worker processes all ask here.

Adding a format is one writer module plus one line in ``WRITERS``. The module names the
writer lazily (``pedall --help`` imports no writer) and offers two functions:
``renderer()``, how one result is rendered for its writer (in whichever process classified
it), and ``open_writer(sink, context)``, a context manager giving the writer
(``ResultWriter``): told the table's pass-through columns (``start``), given each result as
rendered with the issues of its row (``write``), in input order, then every issue
(``finish``).

>>> result_format("csv").binary
False
>>> [writer.name for writer in WRITERS if writer.binary]
['parquet']
>>> report_format("ttl").reads_records
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeAlias, cast, runtime_checkable

from pedall.errors import BadRequestError, PatientIssue
from pedall.writers import validation_reports

if TYPE_CHECKING:
    from pedall.classify.result import Classification
    from pedall.knowledge.base import KnowledgeBase
    from pedall.patients.readers.csv_table import PatientRecord
    from pedall.validate.outcome import ValidationOutcome

# What a format's renderer makes of one result: CSV text, JSON text in parts (those that
# results share are shared objects, which a batch pickles once), a Parquet row's columns,
# or the result itself for a writer that holds the results (it comes back from the worker
# processes, so it must pickle).
Rendered: TypeAlias = "str | tuple[str, ...] | dict[str, Any] | Classification"
Render: TypeAlias = "Callable[[Classification, tuple[str, ...]], Rendered]"
NO_RENDERING = "none"  # a writer's ``render`` when it takes no result (validation only)


class Summarized(Protocol):
    """A summary counted beside the results (``pedall.cohort.summary``), written with them."""

    def as_dict(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class WriterContext:
    """What a writer may need besides its sink: the knowledge base (schemes, patient model,
    mappings), the width of a person's output (None: the terminal's) and the summary to
    write beside the results (``--summary``)."""

    kb: KnowledgeBase
    width: int | None = None
    summary: Summarized | None = None


class ResultWriter(Protocol):
    """Where a command's results go, in input order, as they are produced.

    ``render`` names the format whose renderer renders each result given to ``write``
    (``NO_RENDERING``: none is); ``streams`` says whether the cohort runner may hand it a
    table's rows as its worker processes classify them (else every input is classified
    whole first, and the results written once all are)."""

    render: str
    streams: bool

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        """Told the pass-through columns of a table; returns those the writer writes."""
        ...

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        """One input row: its result as rendered (None when it was not classified) and the
        row's issues."""
        ...

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        """Every issue of the run, once every row was written."""
        ...


@runtime_checkable
class TakesRecords(Protocol):
    """A writer that writes the patients' data as read, too (Turtle): given each input's
    records before its results."""

    def add_records(self, source: str, records: Sequence[PatientRecord]) -> None: ...


class WriterModule(Protocol):
    """What a writer module offers (see the module docstring)."""

    def renderer(self) -> Render: ...

    def open_writer(
        self, sink: IO[Any], context: WriterContext
    ) -> AbstractContextManager[ResultWriter]: ...


@dataclass(frozen=True)
class ResultFormat:
    """One output format of ``pedall classify``: its name (the ``--format`` value), its
    writer module, a few words for ``--help``, whether it writes bytes (to a file: ``-o``
    is required), and whether the research-use notice goes to stderr (not when the output
    is for a person and ends with it)."""

    name: str
    module: str
    about: str
    binary: bool = False
    notice_on_stderr: bool = True

    def renderer(self) -> Render:
        """How one result is rendered for this format's writer (each process makes its own)."""
        return self._module().renderer()

    def open(self, sink: IO[Any], context: WriterContext) -> AbstractContextManager[ResultWriter]:
        """This format's writer on ``sink`` (text, or bytes when ``binary``)."""
        return self._module().open_writer(sink, context)

    def _module(self) -> WriterModule:
        return cast(WriterModule, importlib.import_module(self.module))


WRITERS: tuple[ResultFormat, ...] = (
    ResultFormat(
        "table",
        "pedall.writers.table_results",
        "with the explanation, for a person",
        notice_on_stderr=False,  # the table ends with the notice
    ),
    ResultFormat("json", "pedall.writers.json_results", "the JSON contract"),
    ResultFormat("csv", "pedall.writers.csv_results", "one row a patient"),
    ResultFormat("ttl", "pedall.writers.turtle_results", "RDF of the patients, classified"),
    ResultFormat(
        "parquet",
        "pedall.writers.parquet_results",
        "with -o; pip install 'pedall[parquet]'",
        binary=True,
    ),
    ResultFormat("fhir", "pedall.writers.fhir_results", "a FHIR R4 Bundle of mCODE Observations"),
)


@dataclass(frozen=True)
class ReportFormat:
    """One output format of ``pedall validate``: its name, a few words for ``--help``, how
    it writes a validation outcome, whether it needs the records as read (the SHACL report
    graph, so the input is not streamed), and whether the notice goes to stderr."""

    name: str
    about: str
    write: Callable[[ValidationOutcome], str]
    reads_records: bool = False
    notice_on_stderr: bool = False


REPORTS: tuple[ReportFormat, ...] = (
    ReportFormat(
        "text", "for a person: patient, field, value, what is wrong", validation_reports.text
    ),
    ReportFormat("json", "the JSON contract", validation_reports.json_report),
    ReportFormat(
        "ttl",
        "the standard SHACL validation report graph, from pyshacl",
        validation_reports.turtle,
        reads_records=True,
        notice_on_stderr=True,
    ),
)


def result_format_names() -> list[str]:
    """Every output format of ``pedall classify``, in registry order."""
    return [writer.name for writer in WRITERS]


def report_format_names() -> list[str]:
    """Every output format of ``pedall validate``, in registry order."""
    return [report.name for report in REPORTS]


def result_format(name: str) -> ResultFormat:
    """The output format called ``name``; BadRequestError naming the formats else."""
    for writer in WRITERS:
        if writer.name == name:
            return writer
    raise BadRequestError(
        f"unknown output format {name!r}; expected one of {', '.join(result_format_names())}"
    )


def report_format(name: str) -> ReportFormat:
    """The validation report format called ``name``; BadRequestError naming them else."""
    for report in REPORTS:
        if report.name == name:
            return report
    raise BadRequestError(
        f"unknown report format {name!r}; expected one of {', '.join(report_format_names())}"
    )


def formats_help(formats: Sequence[ResultFormat | ReportFormat]) -> str:
    """The ``--help`` of a ``--format`` option: each format with its few words."""
    return ", ".join(f"{chosen.name} ({chosen.about})" for chosen in formats) + "."
