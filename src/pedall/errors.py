"""The errors pedall raises, each also an instance of the builtin it means.

    PedallError
     +-- DataFileError (ValueError)         a data file (ontology, shapes, queries) is malformed
     +-- QueryError (ValueError)
     |    +-- UnknownQueryError (LookupError) no library query of that name
     |    +-- QuerySyntaxError               the SPARQL text does not parse
     |    +-- ForbiddenQueryError            an update, SERVICE, FROM ... refused by policy
     |    |    +-- ReadOnlyError              an update sent to the read-only service
     |    +-- QueryTimeoutError (TimeoutError) over the time limit
     |    +-- NotAcceptableError             no format the client accepts fits the answer
     |    +-- UnsupportedQueryError          valid SPARQL the engine cannot run (a function)
     +-- QueryWorkerError (RuntimeError)     a query worker process died or did not start
     |    +-- QueryEngineError               the engine failed on a query (HTTP 500)
     +-- RequestTooLargeError (ValueError)   a request body over the service's limit
     +-- PatientDataError (ValueError)       one located problem in patient input
     +-- KaryotypeError (ValueError)         an ISCN karyotype pedall cannot read, with its position
     +-- InputFormatError (ValueError)       a whole input file cannot be read
     |    +-- UnsupportedMediaTypeError      input of a media type pedall does not read
     |    +-- InputLimitError                input over a limit (columns, nesting depth)
     +-- UploadLimitError (RuntimeError)     an upload over the service's time or memory limit
     +-- ServiceBusyError (RuntimeError)     every upload worker stayed busy
     +-- UnknownTermError (LookupError)      no such term (or download) in the graph
     +-- DocsUnavailableError (RuntimeError) the HTML documentation's optional extra is missing
     +-- BadRequestError (ValueError)        a request parameter pedall cannot use
     |    +-- ShapesError                    a user's SHACL shapes pedall cannot run
     |         +-- ShapesSyntaxError         not valid Turtle (with the line)
     |         +-- RefusedShapesError        shapes that reach out (SERVICE, owl:imports ...)

``PatientDataError`` carries where and what: line, column, value and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class PedallError(Exception):
    """Base class of every error pedall raises on purpose."""


class DataFileError(PedallError, ValueError):
    """A data file shipped with pedall (or a copy given by the user) is malformed."""


class QueryError(PedallError, ValueError):
    """A SPARQL query cannot be run."""


class UnknownQueryError(QueryError, LookupError):
    """No query of that name in the library, and no such file."""


class QuerySyntaxError(QueryError):
    """The SPARQL text does not parse; the message is the parser's."""


class ForbiddenQueryError(QueryError):
    """The query asks for something the policy refuses (update, SERVICE, FROM)."""


class QueryTimeoutError(QueryError, TimeoutError):
    """The query ran over its time limit and was stopped."""


class ReadOnlyError(ForbiddenQueryError):
    """An update sent to the read-only service (HTTP 403, unlike other refusals)."""


class NotAcceptableError(QueryError):
    """No format the client accepts can carry this kind of result (HTTP 406)."""


class UnsupportedQueryError(QueryError):
    """A query that is valid SPARQL but that the engine cannot run, such as one calling an
    extension function it does not know (HTTP 400: the query has to change)."""


class QueryWorkerError(PedallError, RuntimeError):
    """A query worker process died or could not load the graph."""


class QueryEngineError(QueryWorkerError):
    """The engine failed on a query: it panicked, or its worker process ended while
    answering; the worker is replaced (HTTP 500)."""


class CohortWorkerError(PedallError, RuntimeError):
    """A worker process classifying a large table ended while it worked (killed, or out of
    memory); the run stops and no partial output is kept."""


class RequestTooLargeError(PedallError, ValueError):
    """A request body over the service's size limit (HTTP 413)."""


class InputFormatError(PedallError, ValueError):
    """A whole input file cannot be read (unknown format, malformed Turtle, no header);
    ``line`` is where the parser stopped, when it says."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class UnsupportedMediaTypeError(InputFormatError):
    """Input of a media type pedall does not read (HTTP 415)."""


class InputLimitError(InputFormatError):
    """Input over one of pedall's limits on its shape, such as more columns or deeper
    nesting than allowed; the message names the limit and its setting (HTTP 413)."""


class UploadLimitError(PedallError, RuntimeError):
    """An upload whose reading and checking ran over the service's time limit or memory
    cap, and was stopped; the message names the limit (HTTP 413)."""


class ServiceBusyError(PedallError, RuntimeError):
    """Every upload worker stayed busy for the whole time limit (HTTP 503: try again)."""


class UnknownTermError(PedallError, LookupError):
    """A term or download the knowledge graph does not have (HTTP 404)."""


class DocsUnavailableError(PedallError, RuntimeError):
    """The HTML documentation of the ontology needs an extra that is not installed
    (pyLODE, ``pip install 'pedall[docs]'``); the message says how to get it (HTTP 503)."""


class BadRequestError(PedallError, ValueError):
    """A request parameter pedall cannot use, such as an unknown format name (HTTP 400)."""


class ShapesError(BadRequestError):
    """SHACL shapes given by a user (``pedall validate --shapes``, ``POST /shacl``) that
    pedall cannot run, such as a constraint pyshacl cannot load (HTTP 400)."""


class ShapesSyntaxError(ShapesError):
    """A shapes file that is not valid Turtle; ``line`` is where the parser stopped."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class RefusedShapesError(ShapesError):
    """Shapes that would reach outside the data: SPARQL ``SERVICE``, ``FROM``, an update
    such as ``LOAD``, ``owl:imports``, ``sh:shapesGraph``, a JavaScript library URL."""


@dataclass(frozen=True)
class PatientIssue:
    """One located problem in patient input: the row (file line, header = 1) or the
    node (RDF input), the column (CSV name), the value as given, and what was expected."""

    line: int | None
    column: str | None
    value: str | None
    message: str
    patient_id: str | None = None
    source: str | None = None
    severity: str = "error"
    node: str | None = None

    @property
    def is_error(self) -> bool:
        """An error stops its row or node; anything else (a warning) does not."""
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "patient_id": self.patient_id,
            "source": self.source,
            "severity": self.severity,
            "node": self.node,
        }


class PatientDataError(PedallError, ValueError):
    """Patient input with located problems; ``issues`` lists every one."""

    def __init__(self, issues: list[PatientIssue]) -> None:
        self.issues = issues
        first = issues[0] if issues else None
        where = f"line {first.line}, column {first.column!r}: " if first else ""
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{where}{first.message if first else 'invalid patient data'}{more}")


class KaryotypeError(PedallError, ValueError):
    """An ISCN karyotype that does not read: the 1-based character ``position``, what was
    ``expected`` there (in a cytogeneticist's words) and what was ``found``."""

    def __init__(self, position: int, expected: str, found: str) -> None:
        self.position = position
        self.expected = expected
        self.found = found
        super().__init__(f"at position {position}: expected {expected}, but found {found}")


def errors_in(issues: Iterable[PatientIssue]) -> list[PatientIssue]:
    """The issues that are errors, in order."""
    return [issue for issue in issues if issue.is_error]


def warnings_in(issues: Iterable[PatientIssue]) -> list[PatientIssue]:
    """The issues that are warnings, in order."""
    return [issue for issue in issues if not issue.is_error]


class CappedIssues(list[PatientIssue]):
    """Issues in the order added, keeping the first ``limit`` errors and the first
    ``limit`` warnings; the others are only counted (``errors_not_shown``,
    ``warnings_not_shown``), so a table whose every row is wrong costs a count, not memory.
    Adding another ``CappedIssues`` adds its counts too.

    >>> issues = CappedIssues(1, [PatientIssue(2, "age_years", "x", "bad")] * 3)
    >>> len(issues), issues.errors_not_shown, issues.warnings_not_shown
    (1, 2, 0)
    """

    def __init__(self, limit: int, issues: Iterable[PatientIssue] = ()) -> None:
        if limit < 1:
            raise ValueError("an issue limit must be at least 1")
        super().__init__()
        self.limit = limit
        self.errors_not_shown = 0
        self.warnings_not_shown = 0
        self._errors = 0
        self._warnings = 0
        self.extend(issues)

    def append(self, issue: PatientIssue) -> None:
        if issue.is_error:
            if self._errors >= self.limit:
                self.errors_not_shown += 1
                return
            self._errors += 1
        else:
            if self._warnings >= self.limit:
                self.warnings_not_shown += 1
                return
            self._warnings += 1
        super().append(issue)

    def extend(self, issues: Iterable[PatientIssue]) -> None:
        for issue in issues:
            self.append(issue)
        if isinstance(issues, CappedIssues):
            self.errors_not_shown += issues.errors_not_shown
            self.warnings_not_shown += issues.warnings_not_shown

    def __iadd__(self, issues: Iterable[PatientIssue]) -> CappedIssues:  # type: ignore[override,misc]
        self.extend(issues)
        return self


def not_shown(issues: Sequence[PatientIssue]) -> dict[str, int]:
    """How many errors and warnings a capped list left out, as the JSON contract writes
    them (``{"errors_not_shown": N}``); nothing for a list that left none out."""
    if not isinstance(issues, CappedIssues):
        return {}
    counts = {
        "errors_not_shown": issues.errors_not_shown,
        "warnings_not_shown": issues.warnings_not_shown,
    }
    return {key: count for key, count in counts.items() if count}


class IssueList:
    """What an outcome holding ``issues`` says of them: its errors, its warnings, and both
    as the JSON contract writes them (shared by the classify and validate outcomes). When
    ``issues`` is a ``CappedIssues`` that left some out, the JSON says how many
    (``errors_not_shown``, ``warnings_not_shown``)."""

    issues: list[PatientIssue]

    @property
    def errors(self) -> list[PatientIssue]:
        return errors_in(self.issues)

    @property
    def warnings(self) -> list[PatientIssue]:
        return warnings_in(self.issues)

    def issues_json(self) -> dict[str, object]:
        return {
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
            **not_shown(self.issues),
        }
