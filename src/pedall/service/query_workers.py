"""Run SPARQL queries in worker processes that are killed and replaced when over time.

pyoxigraph (like rdflib) cannot cancel a running query from another thread, so each query
runs in a separate process with its own store, built once from N-Triples. A query over
the time limit gets ``QueryTimeoutError`` and its process is killed, so the work really
stops; a fresh worker takes its place in the background. With ``size`` workers that many
queries run at once, and a slow one never holds up the others beyond its own worker.

The parent never runs a client's query text: parsing, the policy check (``pedall.query.policy``),
evaluation and serialization all happen in the worker, under the time limit. Before it
reads any query a worker cuts itself off the network (``pedall.service.no_network``), so a
query that slipped past the policy still could not reach another host.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import resource
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseUpdate

from pedall.errors import (
    ForbiddenQueryError,
    NotAcceptableError,
    QueryError,
    QuerySyntaxError,
    QueryTimeoutError,
    QueryWorkerError,
    ReadOnlyError,
)
from pedall.query.policy import normalise_query_text
from pedall.query.sparql import run_query, serialize_result
from pedall.service.negotiation import (
    GRAPH_FORMATS,
    GRAPH_TYPES,
    RESULT_SET_FORMATS,
    RESULT_SET_TYPES,
    format_override,
    negotiate,
)
from pedall.service.no_network import cut_network

# How long a new worker may take to load the graph before the pool gives up on it.
STARTUP_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class QueryRequest:
    """What the parent sends a worker: the query text and how the client wants the answer."""

    text: str
    accept: str | None
    format_keyword: str | None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialized query answer and its media type."""

    media_type: str
    body: bytes


# The errors a worker reports back by name, rebuilt in the parent.
_ERRORS_BY_NAME: dict[str, type[QueryError]] = {
    "syntax": QuerySyntaxError,
    "not-acceptable": NotAcceptableError,
    "forbidden": ForbiddenQueryError,
    "read-only": ReadOnlyError,
}


def _error_name(error: QueryError) -> str:
    """The name under which a worker reports ``error`` (its most specific known kind)."""
    for name, kind in reversed(_ERRORS_BY_NAME.items()):
        if isinstance(error, kind):
            return name
    return "syntax"


def _parses_as_update(text: str) -> bool:
    """Whether ``text``, normalised as the policy reads it, is a SPARQL Update."""
    try:
        parseUpdate(normalise_query_text(text))
    except (ParseBaseException, RecursionError, QuerySyntaxError):
        return False
    return True


def answer_query(store: ox.Store, request: QueryRequest) -> QueryAnswer:
    """Check, run and serialize one query in the format the client asked for.

    Raises ``QuerySyntaxError``, ``ReadOnlyError`` (an update), ``ForbiddenQueryError``
    (SERVICE, FROM ...) or ``NotAcceptableError``.
    """
    try:
        result = run_query(store, request.text)
    except ForbiddenQueryError as refusal:
        if _parses_as_update(request.text):
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


def _serve_queries(connection: Connection, ntriples: bytes, memory_bytes: int) -> None:
    """The body of a worker process: load the graph, then answer queries until closed.

    The process's address space is capped at ``memory_bytes``: a query that would need
    more ends its worker (which the parent replaces) instead of the machine's memory.
    The network is cut first, before the process has threads and before any query.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    in_own_namespace = cut_network()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    store = ox.Store()
    store.load(ntriples, format=ox.RdfFormat.N_TRIPLES)
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
            connection.send(("error", _error_name(error), str(error)))
        except Exception as error:  # a bug or an engine error: report it, keep serving
            connection.send(("failure", type(error).__name__, str(error)))
        else:
            connection.send(("answer", answer.media_type, answer.body))


@dataclass(eq=False)
class QueryWorker:
    """One worker process and the parent's end of its pipe."""

    process: BaseProcess
    connection: Connection

    def stop(self) -> None:
        """Kill the process (a query may be running) and close the pipe."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.connection.close()


class QueryWorkerPool:
    """``size`` worker processes, each holding the graph given as N-Triples.

    >>> pool = QueryWorkerPool(b"<urn:a> <urn:b> <urn:c> .", size=1, timeout=5.0)
    >>> pool.start()
    >>> pool.answer(QueryRequest("ASK { ?s ?p ?o }", None, None)).body
    b'{"head":{},"boolean":true}'
    >>> pool.close()
    """

    def __init__(
        self, ntriples: bytes, *, size: int, timeout: float, memory_bytes: int = 2 * 1024**3
    ) -> None:
        self.ntriples = ntriples
        self.size = size
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[QueryWorker] = queue.Queue()
        self._workers: set[QueryWorker] = set()
        self._lock = threading.Lock()
        self._closed = False
        # Whether the last worker to start is in a network namespace of its own.
        self.network_namespace: bool | None = None
        # Threads that wait on workers; more than the workers so waiting clients queue here.
        self._waiters = ThreadPoolExecutor(max_workers=size + 32, thread_name_prefix="query")

    def start(self) -> None:
        """Start every worker and wait until each has loaded the graph."""
        for worker in [self._spawn() for _ in range(self.size)]:
            self._await_ready(worker)
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker, running queries included."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            worker.stop()
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (for health reports)."""
        with self._lock:
            return sorted(w.process.pid for w in self._workers if w.process.pid is not None)

    def idle_workers(self) -> int:
        """How many workers are waiting for a query."""
        return self._idle.qsize()

    async def run(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` without blocking the event loop (see ``answer``)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waiters, self.answer, request)

    def answer(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` on an idle worker within the time limit.

        The wait for a free worker counts towards the limit. Over it: the worker is killed
        and replaced, and ``QueryTimeoutError`` is raised.
        """
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeoutError(
                f"every query worker stayed busy for the whole time limit of {self.timeout:g} s"
            ) from None
        try:
            worker.connection.send(request)
            finished = worker.connection.poll(max(deadline - time.monotonic(), 0.0))
            reply = worker.connection.recv() if finished else None
        except (EOFError, OSError):
            self._replace(worker)
            raise QueryWorkerError(
                "the query stopped its worker process: it needed more than the "
                f"{self.memory_bytes // 2**20} MB a query may use, or the engine failed"
            ) from None
        if reply is None:
            self._replace(worker)
            raise QueryTimeoutError(
                f"the query ran over the time limit of {self.timeout:g} s and was stopped"
            )
        self._idle.put(worker)
        return _answer_from(reply)

    def _spawn(self) -> QueryWorker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve_queries,
            args=(child_end, self.ntriples, self.memory_bytes),
            daemon=True,
            name="pedall-query",
        )
        process.start()
        child_end.close()
        worker = QueryWorker(process, parent_end)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _await_ready(self, worker: QueryWorker) -> None:
        try:
            if worker.connection.poll(STARTUP_TIMEOUT_SECONDS):
                _, self.network_namespace = worker.connection.recv()
                return
        except (EOFError, OSError):
            pass
        with self._lock:
            self._workers.discard(worker)
        worker.stop()
        raise QueryWorkerError("a query worker could not load the graph")

    def _replace(self, worker: QueryWorker) -> None:
        """Kill ``worker`` now; start its successor in the background."""
        with self._lock:
            self._workers.discard(worker)
        worker.stop()
        with self._lock:
            if self._closed:
                return
        threading.Thread(target=self._start_successor, name="query-respawn", daemon=True).start()

    def _start_successor(self) -> None:
        with self._lock:
            if self._closed:
                return
        worker = self._spawn()
        try:
            self._await_ready(worker)
        except QueryWorkerError:
            return
        self._idle.put(worker)


def _answer_from(reply: tuple[str, str, object]) -> QueryAnswer:
    kind, name, payload = reply
    if kind == "answer":
        assert isinstance(payload, bytes)
        return QueryAnswer(name, payload)
    if kind == "error":
        raise _ERRORS_BY_NAME[name](str(payload))
    raise QueryWorkerError(f"the query failed in the engine: {name}: {payload}")
