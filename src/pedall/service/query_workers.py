"""Run SPARQL queries in worker processes that are killed and replaced when over time, in
two lanes so that slow queries cannot starve quick ones.

pyoxigraph (like rdflib) cannot cancel a running query from another thread, so each query
runs in a separate process with its own store, built once from N-Triples (what each
worker runs is ``pedall.service.query_process``). A query over the time limit gets
``QueryTimeoutError`` and its process is killed, so the work really stops.

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

import asyncio
import hashlib
import multiprocessing
import os
import queue
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pedall.errors import QueryEngineError, QueryTimeoutError, QueryWorkerError
from pedall.query.sparql import canonical_ntriples
from pedall.service.query_process import (
    ERRORS_BY_NAME,
    QueryAnswer,
    QueryRequest,
    QueryWorker,
    crash_message,
    death_message,
    serve_queries,
)
from pedall.service.query_process import answer_query as answer_query

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
        self.size = size
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.long_queries = long_queries
        self.fast_budget = fast_budget
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[QueryWorker] = queue.Queue()
        self._spares: queue.Queue[QueryWorker] = queue.Queue()
        self._regular: set[QueryWorker] = set()
        self._long: set[QueryWorker] = set()
        self._workers: set[QueryWorker] = set()
        self._long_places = threading.BoundedSemaphore(long_queries)
        self._long_texts = _RecentTexts(LONG_TEXTS_KEPT)
        self._lock = threading.Lock()
        self._closed = False
        # Whether the last worker to start is in a network namespace of its own.
        self.network_namespace: bool | None = None
        # Threads that wait on workers; more than the workers so waiting clients queue here.
        self._waiters = ThreadPoolExecutor(
            max_workers=size + long_queries + 32, thread_name_prefix="query"
        )

    def start(self) -> None:
        """Start the regular workers and the spare; wait until each has loaded the graph."""
        starting = [self._spawn() for _ in range(self.size + SPARES)]
        for index, worker in enumerate(starting):
            self._await_ready(worker)
            if index < self.size:
                self._join_regular(worker)
            else:
                self._spares.put(worker)

    def close(self) -> None:
        """Stop every worker, running queries included."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            worker.stop()
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """The process ids of the live regular workers (for health reports)."""
        with self._lock:
            return sorted(w.process.pid for w in self._regular if w.process.pid is not None)

    def long_worker_pids(self) -> list[int]:
        """The process ids of the workers running long queries now."""
        with self._lock:
            return sorted(w.process.pid for w in self._long if w.process.pid is not None)

    def idle_workers(self) -> int:
        """How many regular workers are waiting for a query."""
        return self._idle.qsize()

    async def run(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` without blocking the event loop (see ``answer``)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waiters, self.answer, request)

    def answer(self, request: QueryRequest) -> QueryAnswer:
        """Answer ``request`` within the time limit, in the regular lane or the long one.

        Over the limit, the worker is killed and ``QueryTimeoutError`` raised; a worker that
        fails gives ``QueryEngineError``; a client's error is raised as its ``QueryError``.
        """
        deadline = time.monotonic() + self.timeout
        digest = _RecentTexts.digest(request.text)
        if digest not in self._long_texts:
            worker = self._take(self._idle, deadline)
            if digest not in self._long_texts:  # it may have run long meanwhile
                return self._answer_regular(worker, request, digest, deadline)
            self._idle.put(worker)
        if not self._long_places.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise QueryTimeoutError(self._long_lane_full("waited the whole time limit"))
        try:
            worker = self._spawn(nice=LONG_NICENESS)
            self._await_ready(worker)
        except BaseException:
            self._long_places.release()
            raise
        with self._lock:
            self._long.add(worker)
        return self._answer_long(worker, request, time.monotonic() + self.timeout)

    def _answer_regular(
        self, worker: QueryWorker, request: QueryRequest, digest: bytes, deadline: float
    ) -> QueryAnswer:
        budget_end = min(deadline, time.monotonic() + self.fast_budget)
        reply = self._exchange(worker, request, budget_end)
        if reply is not None:
            if reply[0] != "crash":
                self._idle.put(worker)
            return self._answer_from(worker, reply)
        if time.monotonic() >= deadline:
            self._retire(worker, replace=True)
            raise QueryTimeoutError(self._over_time())
        self._long_texts.add(digest)
        if not self._long_places.acquire(blocking=False):
            self._retire(worker, replace=True)
            raise QueryTimeoutError(self._long_lane_full("was stopped"))
        worker.lower_priority(LONG_NICENESS)
        with self._lock:
            self._regular.discard(worker)
            self._long.add(worker)
        self._fill_regular_place()
        return self._answer_long(worker, None, deadline)

    def _answer_long(
        self, worker: QueryWorker, request: QueryRequest | None, deadline: float
    ) -> QueryAnswer:
        """Wait for the long query ``worker`` runs (``request``, if not sent yet), then end
        the worker and free its place in the long lane."""
        try:
            reply = self._exchange(worker, request, deadline)
            if reply is None:
                raise QueryTimeoutError(self._over_time())
            return self._answer_from(worker, reply, replace=False)
        finally:
            self._retire(worker, replace=False)
            with self._lock:
                self._long.discard(worker)
            self._long_places.release()

    def _exchange(
        self, worker: QueryWorker, request: QueryRequest | None, until: float
    ) -> tuple[str, str, object] | None:
        """Send ``request`` (unless None) and wait for the reply until ``until`` (None if
        it is not there by then); ``QueryEngineError`` if the worker ended."""
        try:
            if request is not None:
                worker.connection.send(request)
            if not worker.connection.poll(max(until - time.monotonic(), 0.0)):
                return None
            reply: tuple[str, str, object] = worker.connection.recv()
        except (EOFError, OSError):
            message = self._death_message(worker)
            self._retire(worker, replace=worker in self._regular)
            raise QueryEngineError(message) from None
        return reply

    def _answer_from(
        self, worker: QueryWorker, reply: tuple[str, str, object], *, replace: bool = True
    ) -> QueryAnswer:
        kind, name, payload = reply
        if kind == "answer":
            assert isinstance(payload, bytes)
            return QueryAnswer(name, payload)
        if kind == "error":
            raise ERRORS_BY_NAME[name](str(payload))
        if kind == "crash":  # the worker ends itself; a fresh one takes its place
            self._retire(worker, replace=replace)
            raise QueryEngineError(crash_message(name, str(payload)))
        raise QueryEngineError(f"the query failed in the engine: {name}: {payload}")

    def _death_message(self, worker: QueryWorker) -> str:
        worker.process.join(timeout=2)
        return death_message(worker.process.exitcode, self.memory_bytes, worker.stderr_tail())

    def _over_time(self) -> str:
        return f"the query ran over the time limit of {self.timeout:g} s and was stopped"

    def _long_lane_full(self, what: str) -> str:
        return (
            f"{self.long_queries} queries are running long (over {self.fast_budget:g} s) "
            f"already, the most this service runs at once; this one {what}: try again "
            "when they are done"
        )

    def _take(self, lane: queue.Queue[QueryWorker], deadline: float) -> QueryWorker:
        try:
            return lane.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise QueryTimeoutError(
                f"every query worker stayed busy for the whole time limit of {self.timeout:g} s"
            ) from None

    def _join_regular(self, worker: QueryWorker) -> None:
        with self._lock:
            self._regular.add(worker)
        self._idle.put(worker)

    def _fill_regular_place(self) -> None:
        """Put the spare into a place the regular lane lost and start a new spare in the
        background; without a spare, start a worker for the place instead."""
        try:
            spare = self._spares.get_nowait()
        except queue.Empty:
            self._in_background(self._start_regular)
        else:
            self._join_regular(spare)
            self._in_background(self._start_spare)

    def _spawn(self, nice: int = 0) -> QueryWorker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        # Each worker's standard error, private (0600), read when one aborts.
        handle, stderr_path = tempfile.mkstemp(prefix="pedall-query-", suffix=".stderr")
        os.close(handle)
        process = self._context.Process(
            target=serve_queries,
            args=(child_end, self.ntriples, self.memory_bytes, stderr_path),
            daemon=True,
            name="pedall-query",
        )
        process.start()
        child_end.close()
        worker = QueryWorker(process, parent_end, Path(stderr_path))
        if nice:  # at once: the child's imports and loading run at that priority too
            worker.lower_priority(nice)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _await_ready(self, worker: QueryWorker) -> None:
        try:
            if worker.connection.poll(STARTUP_TIMEOUT_SECONDS):
                _, self.network_namespace = worker.connection.recv()
                worker.keep_stderr()
                return
        except (EOFError, OSError):
            pass
        with self._lock:
            self._workers.discard(worker)
        worker.stop()
        raise QueryWorkerError("a query worker could not load the graph")

    def _retire(self, worker: QueryWorker, *, replace: bool) -> None:
        """Kill ``worker`` now (idempotent); with ``replace``, fill its place in the
        regular lane (``_fill_regular_place``)."""
        with self._lock:
            known = worker in self._workers
            self._workers.discard(worker)
            self._regular.discard(worker)
        worker.stop()
        if replace and known:
            self._fill_regular_place()

    def _in_background(self, start: Callable[[], None]) -> None:
        with self._lock:
            if self._closed:
                return
        threading.Thread(target=start, name="query-respawn", daemon=True).start()

    def _started(self) -> QueryWorker | None:
        """A new worker, ready; None if it could not start or the pool closed meanwhile."""
        worker = self._spawn()
        try:
            self._await_ready(worker)
        except QueryWorkerError:
            return None
        with self._lock:
            closed = self._closed
        if closed:
            worker.stop()
            return None
        return worker

    def _start_regular(self) -> None:
        worker = self._started()
        if worker is not None:
            self._join_regular(worker)

    def _start_spare(self) -> None:
        worker = self._started()
        if worker is not None:
            self._spares.put(worker)
