"""Read, check and classify patient uploads in worker processes, off the event loop, under
a time limit and a memory cap, so a slow or huge upload never holds up other clients.

Each worker (``worker_processes``) loads the knowledge base and compiles the engines once
(the OWL RL closure read from the cache the service wrote), cuts itself off the network,
caps its address space, then answers uploads: the whole work of ``POST /classify`` and
``POST /validate`` (reading within the input limits, checking, classifying and
serializing the answer) happens there, and the parent only passes bytes on. An upload
over the time limit kills its worker (``UploadLimitError``, 413); one that needs more
memory than the cap ends its worker the same way; with every worker busy for the whole
time limit the answer is ``ServiceBusyError`` (503).
"""

from __future__ import annotations

import json
import resource
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection

from pedall import RESEARCH_NOTICE
from pedall.api import ClassifyOutcome, classify_input, validate_input
from pedall.errors import (
    BadRequestError,
    InputFormatError,
    InputLimitError,
    NotAcceptableError,
    PedallError,
    RequestTooLargeError,
    ServiceBusyError,
    UnsupportedMediaTypeError,
    UploadLimitError,
)
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.patients.input_limits import InputLimits
from pedall.service.negotiation import TURTLE
from pedall.service.no_network import cut_network
from pedall.service.worker_processes import (
    WorkerBusy,
    WorkerLost,
    WorkerProcesses,
    WorkerTimeout,
)
from pedall.writers.fhir import MEDIA_TYPE as FHIR_JSON
from pedall.writers.fhir import fhir_bundle

SOURCE = "<request>"
JSON = "application/json"
# A row whose lesions are unknown (no lesions column): the engines' costlier path.
WARM_UP = b"patient_id,age_years\nP1,5\n"
# Makes an extra section of the classify answer (such as a summary) from its outcome; a
# module-level function, so that it reaches the spawned workers by name.
Section = Callable[[KnowledgeBase, ClassifyOutcome], object]


@dataclass(frozen=True)
class UploadRequest:
    """What the parent sends a worker: ``classify`` or ``validate``, the posted bytes and
    their media type, the media type of the answer (already negotiated), and the extra
    sections (by name) the JSON answer of ``classify`` should carry."""

    action: str
    payload: bytes
    media_type: str
    answer_type: str = JSON
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadAnswer:
    """An answer ready to send: its status, media type and body."""

    status: int
    media_type: str
    body: bytes


def json_body(document: object) -> bytes:
    """``document`` as Starlette's ``JSONResponse`` writes it (the same bytes)."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def answer_upload(
    kb: KnowledgeBase,
    request: UploadRequest,
    limits: InputLimits,
    sections: Mapping[str, Section] | None = None,
) -> UploadAnswer:
    """The answer to one upload: the library API's JSON (a FHIR Bundle, or the SHACL
    report graph in Turtle, when negotiated), 422 when the input had errors. The JSON of
    ``classify`` gets each section the request names, made by ``sections[name]``."""
    if request.action == "classify":
        outcome = classify_input(
            kb, request.payload, request.media_type, source=SOURCE, limits=limits
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
    checked = validate_input(kb, request.payload, request.media_type, source=SOURCE, limits=limits)
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
    BadRequestError,
)
_BY_NAME = {kind.__name__: kind for kind in _ERRORS}


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
            kind = next((k for k in _ERRORS if isinstance(error, k)), None)
            name = kind.__name__ if kind is not None else "failure"
            reply = ("error", name, str(error))
        except Exception as error:  # a bug or an engine error: report it, keep serving
            reply = ("error", "failure", f"{type(error).__name__}: {error}")
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
        _, name, message = reply
        kind = _BY_NAME.get(name)
        if kind is None:
            raise RuntimeError(f"an upload worker failed: {message}")
        raise kind(message)

    def _over_memory(self) -> UploadLimitError:
        return UploadLimitError(
            f"reading and checking the upload needed more than the memory cap of "
            f"{self.memory_bytes // 2**20} MB an upload may use (setting upload_memory_mb, "
            "pedall serve --upload-memory-mb); send fewer patients at a time"
        )
