"""What runs inside a query worker process: load the graph, cut the network, answer one
query at a time (check, run, serialize in the negotiated format), and report each outcome
to the parent (``pedall.service.query_workers``, on the pool of
``pedall.service.worker_processes``) in a form it can rebuild; and what the parent tells a
client when a worker ends.

Each reply is ``(serves_on, outcome)``. Outcomes: ``("answer", media_type, body)``;
``("error", kind, message)`` for a client's error (syntax, refused, not acceptable ...),
after which the worker serves on; ``("failure", exception, message)`` when the engine
raised an error of its own (the worker serves on); ``("crash", exception, message)`` when
the engine panicked (pyo3 raises a Rust panic as ``PanicException``, a ``BaseException``):
the worker then ends (``serves_on`` false), since an engine that panicked may not be
whole, and the parent replaces it.
"""

from __future__ import annotations

import os
import re
import resource
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from pedall.errors import (
    ForbiddenQueryError,
    NotAcceptableError,
    QueryError,
    QuerySyntaxError,
    ReadOnlyError,
    UnsupportedQueryError,
)
from pedall.query.policy import parses_as_update
from pedall.query.sparql import load_labelled, run_query, serialize_result
from pedall.service.negotiation import (
    GRAPH_FORMATS,
    GRAPH_TYPES,
    RESULT_SET_FORMATS,
    RESULT_SET_TYPES,
    format_override,
    negotiate,
)
from pedall.service.no_network import cut_network


@dataclass(frozen=True)
class QueryRequest:
    """What the parent sends a worker: the query text, how the client wants the answer,
    and the IRI relative IRIs in the query resolve against (the endpoint's)."""

    text: str
    accept: str | None
    format_keyword: str | None
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialized query answer and its media type."""

    media_type: str
    body: bytes


# The errors a worker reports back by name, rebuilt in the parent.
ERRORS_BY_NAME: dict[str, type[QueryError]] = {
    "syntax": QuerySyntaxError,
    "not-acceptable": NotAcceptableError,
    "unsupported": UnsupportedQueryError,
    "forbidden": ForbiddenQueryError,
    "read-only": ReadOnlyError,
}


def error_name(error: QueryError) -> str:
    """The name under which a worker reports ``error`` (its most specific known kind)."""
    for name, kind in reversed(ERRORS_BY_NAME.items()):
        if isinstance(error, kind):
            return name
    return "syntax"


def answer_query(store: ox.Store, request: QueryRequest) -> QueryAnswer:
    """Check, run and serialize one query in the format the client asked for.

    Raises ``QuerySyntaxError``, ``ReadOnlyError`` (an update), ``ForbiddenQueryError``
    (SERVICE, FROM ...), ``UnsupportedQueryError`` or ``NotAcceptableError``.
    """
    try:
        result = run_query(store, request.text, base_iri=request.base_iri)
    except ForbiddenQueryError as refusal:
        if not isinstance(refusal, ReadOnlyError) and parses_as_update(request.text):
            raise ReadOnlyError(str(refusal)) from None
        raise
    if result.form.returns_graph:
        formats, media_types = GRAPH_FORMATS, GRAPH_TYPES
    else:
        formats, media_types = RESULT_SET_FORMATS, RESULT_SET_TYPES
    media_type = format_override(request.format_keyword, formats, media_types) or negotiate(
        request.accept, media_types
    )
    if media_type is None:
        offered = ", ".join(sorted(set(media_types.values())))
        raise NotAcceptableError(f"none of the accepted media types fits; offered: {offered}")
    return QueryAnswer(media_type, serialize_result(result, media_type))


def serve_queries(
    connection: Connection, ntriples: bytes, memory_bytes: int, stderr_path: str
) -> None:
    """The body of a worker process: load the graph, then answer queries until closed.

    Standard error goes
    to ``stderr_path``, where the parent reads why the engine aborted the process, if it
    does (pyoxigraph aborts on a Rust panic: nothing in Python can catch it; Rust's
    backtraces are turned off, they would take seconds to print). The process's address
    space is capped at ``memory_bytes``: a query that would need more ends its worker
    (which the parent replaces) instead of the machine's memory. The network is cut
    before the process has threads and before any query. Blank nodes keep the labels of
    ``ntriples``, so every worker names them alike.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    os.environ["RUST_BACKTRACE"] = "0"
    stderr = os.open(stderr_path, os.O_WRONLY | os.O_TRUNC)  # made by the parent, 0600
    os.dup2(stderr, 2)
    os.close(stderr)
    in_own_namespace = cut_network()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    store = load_labelled(ntriples)
    del ntriples
    connection.send(("ready", in_own_namespace))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = answer_query(store, request)
        except QueryError as error:
            connection.send((True, ("error", error_name(error), str(error))))
        except Exception as error:  # an error of the engine's own: report it, serve on
            connection.send((True, ("failure", type(error).__name__, str(error))))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # the engine panicked: say so, then end
            connection.send((False, ("crash", type(error).__name__, str(error))))
            return
        else:
            connection.send((True, ("answer", answer.media_type, answer.body)))


_PANIC = re.compile(r"panicked at [^\n]*:\n([^\n]+)")
_ALLOCATION = re.compile(r"memory allocation of (\d+) bytes failed")


def crash_message(name: str, message: str) -> str:
    """What the client is told when the engine failed on its query with ``message``."""
    hint = ""
    if "total order" in message:
        hint = (
            " (pyoxigraph cannot sort values that have no order between them, such as "
            "numbers mixed with strings; ORDER BY STR(?x) sorts any values as text)"
        )
    return f"the engine failed on this query: {name}: {message}{hint}; its worker was replaced"


def death_message(exit_code: int | None, memory_bytes: int, stderr: str) -> str:
    """What the client is told when a worker ended while answering: from what the engine
    wrote to standard error (``stderr``: a panic or a failed allocation), else from the
    exit status."""
    limit = f"{memory_bytes // 2**20} MB"
    if allocation := _ALLOCATION.search(stderr):
        return (
            f"the query needed more than the {limit} of memory a query may use (the engine "
            f"could not allocate {int(allocation.group(1)):,} bytes more) and was stopped; "
            "a fresh worker takes its place"
        )
    if panic := _PANIC.search(stderr):
        return crash_message("panic", panic.group(1).strip())
    if exit_code == -signal.SIGKILL:
        cause = f"it was killed (SIGKILL), most likely for memory (a query may use {limit})"
    else:
        cause = f"it ended with exit status {exit_code} (a query may use {limit} of memory)"
    return f"the query stopped its worker process: {cause}; a fresh worker takes its place"
