"""Run SPARQL queries in worker processes that are killed and replaced when over time, in
two lanes so that slow queries cannot starve quick ones.

pyoxigraph (like rdflib) cannot cancel a running query from another thread, so each query
runs in a separate process with its own store, built once from N-Triples (what each
worker runs is ``pedall.service.query_process``), in the pool of killable workers the
upload workers use too (``pedall.service.worker_processes``): this module adds the lanes
and what a query's outcome means. A query over the time limit gets ``QueryTimeoutError``
and its process is killed, so the work really stops.

The lanes:

- the regular lane: ``size`` workers. Every query starts here (its wait for a free worker
  counts towards its time limit) unless it is known to run long.
- the long lane: at most ``long_queries`` queries at once, each in a worker of its own at
  a lower CPU priority (niceness ``LONG_NICENESS``), which ends with the query. A query
  still running after ``fast_budget`` seconds moves there without stopping: its worker
  is lowered in priority and leaves the regular lane, and a warm spare takes its place at
  once (another spare then starts in the background). The query's text is remembered
  (a digest, for the last ``LONG_TEXTS_KEPT`` texts), and the next time it comes it goes
  straight to a fresh long-lane worker, so a client repeating a slow query never holds up
  a regular worker again; its time limit then counts from when that worker is ready.
  When the long lane is full, a query passing ``fast_budget`` is stopped and one known to
  run long waits for a place, within its time limit: both get ``QueryTimeoutError``
  (HTTP 503) saying why.

The parent never runs a client's query text: parsing, the policy check, evaluation and
serialization all happen in a worker, under the time limit, cut off the network
(``pedall.service.no_network``).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import cast

from pedall.errors import QueryEngineError, QueryTimeoutError, QueryWorkerError
from pedall.query.sparql import canonical_ntriples
from pedall.service.query_process import (
    ERRORS_BY_NAME,
    QueryAnswer,
    QueryRequest,
    crash_message,
    death_message,
    serve_queries,
)
from pedall.service.query_process import answer_query as answer_query
from pedall.service.worker_processes import Worker, WorkerBusy, WorkerLost, WorkerProcesses

__all__ = ["QueryAnswer", "QueryRequest", "QueryWorkerPool", "answer_query"]

# How long a new worker may take to load the graph before the pool gives up on it.
STARTUP_TIMEOUT_SECONDS = 120.0
FAST_BUDGET_SECONDS = 1.0
LONG_NICENESS = 19
LONG_TEXTS_KEPT = 1024
SPARES = 1


class _RecentTexts:
    """Digests of the last ``size`` query texts that ran long (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._digests: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).digest()

    def __contains__(self, digest: bytes) -> bool:
        with self._lock:
            return digest in self._digests

    def add(self, digest: bytes) -> None:
        with self._lock:
            self._digests[digest] = None
            self._digests.move_to_end(digest)
            while len(self._digests) > self.size:
                self._digests.popitem(last=False)


@contextlib.contextmanager
def _loading() -> Iterator[None]:
    """A worker that could not start is a ``QueryWorkerError``."""
    try:
        yield
    except WorkerLost:
        raise QueryWorkerError("a query worker could not load the graph") from None


def _answer_from(outcome: object) -> QueryAnswer:
    """The answer a worker sent (``pedall.service.query_process``), or its error raised."""
    kind, name, payload = cast(tuple[str, str, object], outcome)
    if kind == "answer":
        assert isinstance(payload, bytes)
        return QueryAnswer(name, payload)
    if kind == "error":
        raise ERRORS_BY_NAME[name](str(payload))
    if kind == "crash":  # the worker ended itself; a fresh one takes its place
        raise QueryEngineError(crash_message(name, str(payload)))
    raise QueryEngineError(f"the query failed in the engine: {name}: {payload}")


class QueryWorkerPool:
    """``size`` regular workers, a warm spare and a long lane of ``long_queries``, each
    worker holding the graph given as N-Triples (see the module docstring).

    >>> pool = QueryWorkerPool(b"<urn:a> <urn:b> <urn:c> .", size=1, timeout=5.0)
    >>> pool.start()
    >>> pool.answer(QueryRequest("ASK { ?s ?p ?o }", None, None)).body
    b'{"head":{},"boolean":true}'
    >>> pool.close()
    """

    def __init__(
        self,
        ntriples: bytes,
        *,
        size: int,
        timeout: float,
        memory_bytes: int = 2 * 1024**3,
        long_queries: int = 4,
        fast_budget: float = FAST_BUDGET_SECONDS,
    ) -> None:
        # Canonical blank-node labels: every worker, and every run, names them alike.
        self.ntriples = canonical_ntriples(ntriples)
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.long_queries = long_queries
        self.fast_budget = fast_budget
        self.workers = WorkerProcesses(
            serve_queries,
            (self.ntriples, memory_bytes),
            size=size,
            timeout=timeout,
            name="pedall-query",
            spares=SPARES,
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            stderr_files=True,
            extra_waiters=long_queries,
        )
        self._long: set[Worker] = set()
        self._long_places = threading.BoundedSemaphore(long_queries)
        self._long_texts = _RecentTexts(LONG_TEXTS_KEPT)
        self._lock = threading.Lock()

    @property
    def network_namespace(self) -> bool | None:
        """Whether the last worker to start is in a network namespace of its own."""
        ready = self.workers.last_ready
        return None if ready is None else bool(ready[1])

    def start(self) -> None:
        """Start the regular workers and the spare; wait until each has loaded the graph."""
        with _loading():
            self.workers.start()

    def close(self) -> None:
        """Stop every worker, running queries included."""
        self.workers.close()

    def worker_pids(self) -> list[int]:
        """The process ids of the live regular workers (for health reports)."""
        return self.workers.worker_pids()

    def long_worker_pids(self) -> list[int]:
        """The process ids of the workers running long queries now."""
        with self._lock:
            return sorted(w.process.pid for w in self._long if w.process.pid is not None)

    def idle_workers(self) -> int:
        """How many regular workers are waiting for a query."""
        return self.workers.idle_workers()

    async def run(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` without blocking the event loop (see ``answer``)."""
        return await self.workers.off_loop(self.answer, request)

    def answer(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` within the time limit, in the regular lane or the long one.

        Over the limit, the worker is killed and ``QueryTimeoutError`` raised; a worker that
        fails gives ``QueryEngineError``; a client's error is raised as its ``QueryError``.
        """
        deadline = time.monotonic() + self.timeout
        digest = _RecentTexts.digest(request.text)
        if digest not in self._long_texts:
            worker = self._take(deadline)
            if digest not in self._long_texts:  # it may have run long meanwhile
                return self._answer_regular(worker, request, digest, deadline)
            self.workers.settle(worker, serves_on=True)
        if not self._long_places.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise QueryTimeoutError(self._long_lane_full("waited the whole time limit"))
        try:
            with _loading():
                worker = self.workers.fresh(nice=LONG_NICENESS)
        except BaseException:
            self._long_places.release()
            raise
        with self._lock:
            self._long.add(worker)
        return self._answer_long(worker, request, time.monotonic() + self.timeout)

    def _answer_regular(
        self, worker: Worker, request: QueryRequest, digest: bytes, deadline: float
    ) -> QueryAnswer:
        budget_end = min(deadline, time.monotonic() + self.fast_budget)
        reply = self._exchange(worker, request, budget_end)
        if reply is not None:
            serves_on, outcome = reply
            self.workers.settle(worker, serves_on=serves_on)
            return _answer_from(outcome)
        if time.monotonic() >= deadline:
            self.workers.retire(worker)
            raise QueryTimeoutError(self._over_time())
        self._long_texts.add(digest)
        if not self._long_places.acquire(blocking=False):
            self.workers.retire(worker)
            raise QueryTimeoutError(self._long_lane_full("was stopped"))
        worker.lower_priority(LONG_NICENESS)
        with self._lock:
            self._long.add(worker)
        self.workers.withdraw(worker)
        return self._answer_long(worker, None, deadline)

    def _answer_long(
        self, worker: Worker, request: QueryRequest | None, deadline: float
    ) -> QueryAnswer:
        """Wait for the long query ``worker`` runs (``request``, if not sent yet), then end
        the worker and free its place in the long lane."""
        try:
            reply = self._exchange(worker, request, deadline)
            if reply is None:
                raise QueryTimeoutError(self._over_time())
            return _answer_from(reply[1])
        finally:
            self.workers.retire(worker)
            with self._lock:
                self._long.discard(worker)
            self._long_places.release()

    def _exchange(
        self, worker: Worker, request: QueryRequest | None, until: float
    ) -> tuple[bool, object] | None:
        """``worker.exchange``; ``QueryEngineError`` (saying why) if the worker ended."""
        try:
            return worker.exchange(request, until)
        except (EOFError, OSError):
            worker.process.join(timeout=2)
            message = death_message(
                worker.process.exitcode, self.memory_bytes, worker.stderr_tail()
            )
            self.workers.retire(worker)
            raise QueryEngineError(message) from None

    def _take(self, deadline: float) -> Worker:
        try:
            return self.workers.take(deadline)
        except WorkerBusy:
            raise QueryTimeoutError(
                f"every query worker stayed busy for the whole time limit of {self.timeout:g} s"
            ) from None

    def _over_time(self) -> str:
        return f"the query ran over the time limit of {self.timeout:g} s and was stopped"

    def _long_lane_full(self, what: str) -> str:
        return (
            f"{self.long_queries} queries are running long (over {self.fast_budget:g} s) "
            f"already, the most this service runs at once; this one {what}: try again "
            "when they are done"
        )
