"""Read, check and classify patient uploads in worker processes, off the event loop, under
a time limit and a memory cap, so a slow or huge upload never holds up other clients.

Each worker (``worker_processes``) loads the knowledge base and compiles the engines once
(the OWL RL closure read from the cache the service wrote), cuts itself off the network,
caps its address space, then answers uploads: the whole work of ``POST /classify``,
``POST /validate``, ``POST /report`` and ``POST /shacl`` (reading within the input
limits, checking, classifying or validating, drawing, and serializing the answer; those
of the last two in ``upload_answers``) happens there, and the parent only passes bytes
on. An upload over the time limit kills its worker (``UploadLimitError``, 413); one that
needs more memory than the cap ends its worker the same way; with every worker busy for
the whole time limit the answer is ``ServiceBusyError`` (503). An error the work raises
reaches the route as the same kind, with its line or its located issues.
"""

from __future__ import annotations

import resource
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import cast

from pedall import RESEARCH_NOTICE
from pedall.api import ClassifyOutcome, classify_input, validate_input
from pedall.errors import (
    BadRequestError,
    InputFormatError,
    InputLimitError,
    NotAcceptableError,
    PatientDataError,
    PatientIssue,
    PedallError,
    RefusedShapesError,
    RequestTooLargeError,
    ServiceBusyError,
    ShapesError,
    ShapesSyntaxError,
    UnsupportedMediaTypeError,
    UploadLimitError,
)
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.patients.input_limits import InputLimits
from pedall.service.negotiation import TURTLE
from pedall.service.no_network import cut_network
from pedall.service.upload_answers import JSON as JSON
from pedall.service.upload_answers import SOURCE as SOURCE
from pedall.service.upload_answers import UploadAnswer as UploadAnswer
from pedall.service.upload_answers import json_body as json_body
from pedall.service.upload_answers import report_answer, shacl_answer
from pedall.service.worker_processes import (
    WorkerBusy,
    WorkerLost,
    WorkerProcesses,
    WorkerTimeout,
)
from pedall.validate.shapes_data import DataInput
from pedall.writers.fhir import MEDIA_TYPE as FHIR_JSON
from pedall.writers.fhir import fhir_bundle

# A row whose lesions are unknown (no lesions column): the engines' costlier path.
WARM_UP = b"patient_id,age_years\nP1,5\n"
# Makes an extra section of the classify answer (such as a summary) from its outcome; a
# module-level function, so that it reaches the spawned workers by name.
Section = Callable[[KnowledgeBase, ClassifyOutcome], object]


@dataclass(frozen=True)
class UploadRequest:
    """What the parent sends a worker: ``classify``, ``validate``, ``report`` or
    ``shacl``, the posted bytes and their media type, the media type of the answer
    (already negotiated), the extra sections (by name) the JSON answer of ``classify``
    should carry, the name the data's issues give it (``shacl``: the part's file name),
    and the shapes' Turtle text (``shacl``)."""

    action: str
    payload: bytes
    media_type: str
    answer_type: str = JSON
    sections: tuple[str, ...] = ()
    source: str = SOURCE
    shapes: str | None = None


def answer_upload(
    kb: KnowledgeBase,
    request: UploadRequest,
    limits: InputLimits,
    sections: Mapping[str, Section] | None = None,
) -> UploadAnswer:
    """The answer to one upload: the library API's JSON (a FHIR Bundle, or the SHACL
    report graph in Turtle, when negotiated), 422 when the input had errors. The JSON of
    ``classify`` gets each section the request names, made by ``sections[name]``;
    ``report`` and ``shacl`` are answered by ``upload_answers``."""
    if request.action == "report":
        return report_answer(kb, request.payload, request.media_type, limits)
    if request.action == "shacl":
        if request.shapes is None:
            raise BadRequestError("no shapes: a shacl upload carries its shapes")
        data = DataInput(request.payload, request.media_type, request.source)
        return shacl_answer(kb, data, request.shapes, request.answer_type)
    if request.action == "classify":
        outcome = classify_input(
            kb, request.payload, request.media_type, source=request.source, limits=limits
        )
        status = 422 if outcome.has_errors else 200
        if request.answer_type == FHIR_JSON:
            bundle = fhir_bundle(kb, outcome.results, outcome.issues)
            return UploadAnswer(status, FHIR_JSON, json_body(bundle))
        document = outcome.as_json()
        for name in request.sections:
            document[name] = (sections or {})[name](kb, outcome)
        document["notice"] = RESEARCH_NOTICE
        return UploadAnswer(status, JSON, json_body(document))
    if request.action != "validate":
        raise ValueError(f"unknown upload action {request.action!r}")
    checked = validate_input(
        kb, request.payload, request.media_type, source=request.source, limits=limits
    )
    status = 200 if checked.conforms else 422
    if request.answer_type == TURTLE:
        report = checked.report_graph.serialize(format="turtle", encoding="utf-8")
        return UploadAnswer(status, TURTLE, report)
    return UploadAnswer(status, JSON, json_body({**checked.as_json(), "notice": RESEARCH_NOTICE}))


# The errors a worker reports back by name, rebuilt in the parent (most specific first).
_ERRORS: tuple[type[PedallError], ...] = (
    InputLimitError,
    UnsupportedMediaTypeError,
    InputFormatError,
    NotAcceptableError,
    RequestTooLargeError,
    RefusedShapesError,
    ShapesSyntaxError,
    ShapesError,
    BadRequestError,
    PatientDataError,
)
_BY_NAME = {kind.__name__: kind for kind in _ERRORS}
# An error's reply: ("error", kind, message, line or None, located issues or None).
ErrorReply = tuple[str, str, str, int | None, list[PatientIssue] | None]


def error_reply(error: PedallError) -> ErrorReply:
    """What a worker sends back for ``error``: the most specific kind the parent rebuilds
    (``failure`` for another), its message, and what it carries (the line of an input or
    shapes file that does not parse; the located issues of a ``PatientDataError``)."""
    kind = next((k for k in _ERRORS if isinstance(error, k)), None)
    if kind is None:
        return ("error", "failure", str(error), None, None)
    line = error.line if isinstance(error, (InputFormatError, ShapesSyntaxError)) else None
    issues = list(error.issues) if isinstance(error, PatientDataError) else None
    return ("error", kind.__name__, str(error), line, issues)


def rebuilt_error(reply: ErrorReply) -> Exception:
    """The error a worker reported (``error_reply``), as the parent raises it: the same
    kind, message, line and issues (RuntimeError for a failure that is no pedall error)."""
    _, name, message, line, issues = reply
    kind = _BY_NAME.get(name)
    if kind is None:
        return RuntimeError(f"an upload worker failed: {message}")
    if kind is PatientDataError:
        return PatientDataError(issues or [])
    error = kind(message)
    if isinstance(error, (InputFormatError, ShapesSyntaxError)):
        error.line = line
    return error


def _serve_uploads(
    connection: Connection,
    files: DataFiles,
    cache: ClosureCache | None,
    limits: InputLimits,
    memory_bytes: int,
    sections: Mapping[str, Section],
) -> None:
    """The body of an upload worker: load, then answer uploads until the pipe closes. The
    network is cut and the memory capped before anything is loaded; after running out of
    memory a worker answers once more and exits (the pool replaces it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    cut_network()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    kb = KnowledgeBase(files, cache)
    # Compiled and warmed now, not during the first upload (which then finds the memory
    # the worker really has left).
    answer_upload(kb, UploadRequest("classify", WARM_UP, "text/csv"), limits)
    connection.send(("ready",))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        reply: tuple[object, ...] | None = None
        try:
            reply = ("answer", answer_upload(kb, request, limits, sections))
        except MemoryError:
            pass  # answered below, once the failed work (held by the traceback) is freed
        except PedallError as error:
            reply = error_reply(error)
        except Exception as error:  # a bug or an engine error: report it, keep serving
            reply = ("error", "failure", f"{type(error).__name__}: {error}", None, None)
        if reply is None:
            connection.send((False, ("memory",)))
            return
        connection.send((True, reply))


class UploadWorkerPool:
    """``size`` upload workers for the knowledge base at ``files`` (with ``cache``), each
    answering within ``timeout`` seconds and ``memory_bytes`` of address space, reading
    within ``limits``, making the answer ``sections`` a request names."""

    def __init__(
        self,
        files: DataFiles,
        cache: ClosureCache | None,
        *,
        size: int,
        timeout: float,
        memory_bytes: int,
        limits: InputLimits,
        sections: Mapping[str, Section] | None = None,
    ) -> None:
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.workers = WorkerProcesses(
            _serve_uploads,
            (files, cache, limits, memory_bytes, dict(sections or {})),
            size=size,
            timeout=timeout,
            name="pedall-upload",
        )

    async def answer(self, request: UploadRequest) -> UploadAnswer:
        """The answer to ``request``, from a worker, without blocking the event loop."""
        try:
            reply = await self.workers.run(request)
        except WorkerBusy:
            raise ServiceBusyError(
                f"every upload worker stayed busy for the whole time limit of "
                f"{self.timeout:g} s; try again"
            ) from None
        except WorkerTimeout:
            raise UploadLimitError(
                f"reading and checking the upload ran over the time limit of {self.timeout:g} s "
                "and was stopped (setting upload_timeout, pedall serve --upload-timeout); "
                "send fewer patients at a time"
            ) from None
        except WorkerLost:
            raise self._over_memory() from None
        assert isinstance(reply, tuple)
        if reply[0] == "answer":
            answer: UploadAnswer = reply[1]
            return answer
        if reply[0] == "memory":
            raise self._over_memory()
        raise rebuilt_error(cast(ErrorReply, reply))

    def _over_memory(self) -> UploadLimitError:
        return UploadLimitError(
            f"reading and checking the upload needed more than the memory cap of "
            f"{self.memory_bytes // 2**20} MB an upload may use (setting upload_memory_mb, "
            "pedall serve --upload-memory-mb); send fewer patients at a time"
        )
