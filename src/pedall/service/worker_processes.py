"""Worker processes that answer one request at a time, each killed and replaced when a
request runs over the time limit, so the work really stops and the service goes on: the
pool the query workers (``pedall.service.query_workers``) and the upload workers
(``pedall.service.upload_workers``) both run on.

A worker is a spawned process running ``target(connection, *args)`` (and, with
``stderr_files``, the path of a private file its standard error goes to): it loads what
it needs, sends ``("ready", ...)``, then answers each message it receives with one reply,
``(serves_on, answer)``: a worker that cannot go on (it ran out of memory, its engine
panicked) says ``serves_on=False``, exits, and is replaced.

``size`` workers hold the regular places; ``spares`` more wait, loaded, to take a place
the moment one is lost (another spare then starts in the background); without a spare a
fresh worker starts in the background. ``call`` (``run`` off the event loop) sends one
message to an idle worker and waits for its reply never longer than the time limit,
counting the wait for a free worker: ``WorkerBusy`` when every worker stayed busy,
``WorkerTimeout`` over the limit (the worker is killed), ``WorkerLost`` when the worker
died. Callers with a protocol of their own build it from ``take``, ``Worker.exchange``,
``settle``, ``retire`` and ``withdraw`` (a worker taken out of the regular places).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import BinaryIO, TypeVar

# How long a new worker may take to load before the pool gives up on it.
STARTUP_TIMEOUT_SECONDS = 180.0

Request = TypeVar("Request")
Answer = TypeVar("Answer")


class WorkerBusy(Exception):
    """Every worker stayed busy for the whole time limit."""


class WorkerTimeout(Exception):
    """The request ran over the time limit; its worker was killed."""


class WorkerLost(Exception):
    """The worker died while answering (or could not start)."""


@dataclass(eq=False)
class Worker:
    """One worker process, the parent's end of its pipe, and (if the pool keeps it) the
    file the process's standard error goes to: the parent opens it and removes its name
    once the worker is ready (``keep_stderr``), so nothing is left behind whenever the
    parent ends."""

    process: BaseProcess
    connection: Connection
    stderr_path: Path | None = None
    stderr: BinaryIO | None = None
    # The pool's closing and its background start may stop one worker at once: the pipe
    # must be closed once, or the second close hits a descriptor the first freed (and that
    # may by then belong to another file).
    _stopping: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopped: bool = False

    def keep_stderr(self) -> None:
        """Hold the standard error file open and remove its name (the worker has it)."""
        if self.stderr_path is None:
            return
        with contextlib.suppress(OSError):
            self.stderr = self.stderr_path.open("rb")
        self.stderr_path.unlink(missing_ok=True)

    def stop(self) -> None:
        """Kill the process (a request may be running), close the pipe and the standard
        error file, once."""
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=10)
            self.connection.close()
            if self.stderr is not None:
                self.stderr.close()
            if self.stderr_path is not None:
                self.stderr_path.unlink(missing_ok=True)

    def stderr_tail(self) -> str:
        """The end of what the process wrote to standard error (if the pool keeps it)."""
        if self.stderr is None or self.stderr.closed:
            return ""
        try:
            self.stderr.seek(max(self.stderr.seek(0, os.SEEK_END) - 4096, 0))
            return self.stderr.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def lower_priority(self, by: int) -> None:
        """Add ``by`` to the process's niceness (best effort: it may have ended)."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + by)

    def exchange(self, message: object, until: float) -> tuple[bool, object] | None:
        """Send ``message`` (unless None: it was sent before) and wait for the reply,
        ``(serves_on, answer)``, until the monotonic time ``until`` (None if it is not
        there by then); EOFError or OSError if the process ended."""
        if message is not None:
            self.connection.send(message)
        if not self.connection.poll(max(until - time.monotonic(), 0.0)):
            return None
        reply: tuple[bool, object] = self.connection.recv()
        return reply


def _pids(workers: set[Worker]) -> list[int]:
    return sorted(w.process.pid for w in workers if w.process.pid is not None)


class WorkerProcesses:
    """``size`` spawned processes running ``target``, and ``spares`` ready to take a lost
    place, each answering one request at a time within ``timeout`` seconds (see the
    module docstring)."""

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[object, ...],
        *,
        size: int,
        timeout: float,
        name: str,
        spares: int = 0,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        stderr_files: bool = False,
        extra_waiters: int = 0,
    ) -> None:
        self.target = target
        self.args = args
        self.size = size
        self.timeout = timeout
        self.name = name
        self.spares = spares
        self.startup_timeout = startup_timeout
        self.stderr_files = stderr_files
        # The ready message of the last worker to start (what it says about itself).
        self.last_ready: tuple[object, ...] | None = None
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._spares: queue.Queue[Worker] = queue.Queue()
        self._workers: set[Worker] = set()  # every live one: closing stops them all
        self._placed: set[Worker] = set()  # those holding (or starting for) a regular place
        self._started = threading.Event()  # set once the first worker is ready
        self._lock = threading.Lock()
        self._closed = False
        # Threads that wait on workers; more than the workers so waiting clients queue here.
        self._waiters = ThreadPoolExecutor(
            max_workers=size + extra_waiters + 32, thread_name_prefix=name
        )

    def start(self, *, wait: bool = True) -> None:
        """Start every worker; with ``wait``, until each is ready (WorkerLost if one could
        not start), else in the background: a request then waits for the first worker
        to be ready (besides its own time limit), and the service need not."""
        starting = [self._spawn(placed=n < self.size) for n in range(self.size + self.spares)]
        if not wait:
            threading.Thread(
                target=self._await_all, args=(starting,), name=f"{self.name}-start", daemon=True
            ).start()
            return
        for worker in starting:
            self._await_ready(worker)
            self._place(worker)
        self._started.set()

    def _await_all(self, starting: list[Worker]) -> None:
        for worker in starting:
            try:
                self._await_ready(worker)
            except WorkerLost:
                continue
            self._place(worker)
            self._started.set()
        self._started.set()  # none could start: requests find no worker, and say so

    def close(self) -> None:
        """Stop every worker, running requests included."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            worker.stop()
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """The process ids of the workers in the regular places (for health reports)."""
        with self._lock:
            return _pids(self._placed)

    def idle_workers(self) -> int:
        """How many workers are waiting for a request."""
        return self._idle.qsize()

    async def off_loop(self, work: Callable[[Request], Answer], request: Request) -> Answer:
        """``work(request)`` in one of the pool's waiting threads, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waiters, work, request)

    async def run(self, message: object) -> object:
        """``call`` without blocking the event loop."""
        return await self.off_loop(self.call, message)

    def call(self, message: object) -> object:
        """The reply of an idle worker to ``message``, within the time limit (the wait for
        a free worker counts); WorkerBusy, WorkerTimeout or WorkerLost otherwise."""
        self._started.wait(self.startup_timeout)
        deadline = time.monotonic() + self.timeout
        worker = self.take(deadline)
        try:
            reply = worker.exchange(message, deadline)
        except (EOFError, OSError):
            self.retire(worker)
            raise WorkerLost from None
        if reply is None:
            self.retire(worker)
            raise WorkerTimeout
        serves_on, answer = reply
        self.settle(worker, serves_on=serves_on)
        return answer

    def take(self, deadline: float) -> Worker:
        """An idle worker, waiting for one until the monotonic time ``deadline`` at the
        most (WorkerBusy then); give it back with ``settle``."""
        try:
            return self._idle.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise WorkerBusy from None

    def settle(self, worker: Worker, *, serves_on: bool) -> None:
        """Once ``worker`` has replied: idle again if it serves on, else retired."""
        if serves_on:
            self._idle.put(worker)
        else:
            self.retire(worker)

    def retire(self, worker: Worker) -> None:
        """Kill ``worker`` now (again: nothing); if it held a regular place, a spare takes
        the place at once, or a fresh worker in the background."""
        with self._lock:
            known = worker in self._workers
            placed = worker in self._placed
            self._workers.discard(worker)
            self._placed.discard(worker)
        worker.stop()
        if known and placed:
            self._fill_place()

    def withdraw(self, worker: Worker) -> None:
        """Take ``worker`` (taken, busy) out of its regular place, which is filled as in
        ``retire``: it goes on running, outside the regular places, until retired."""
        with self._lock:
            self._placed.discard(worker)
        self._fill_place()

    def fresh(self, *, nice: int = 0) -> Worker:
        """A new worker outside the regular places, at niceness ``nice`` from its first
        instruction, ready (WorkerLost if it could not start); retire it when done."""
        worker = self._spawn(placed=False, nice=nice)
        self._await_ready(worker)
        return worker

    def _fill_place(self) -> None:
        try:
            spare = self._spares.get_nowait()
        except queue.Empty:
            self._start_in_background(placed=True)
        else:
            with self._lock:
                self._placed.add(spare)
            self._idle.put(spare)
            self._start_in_background(placed=False)

    def _place(self, worker: Worker) -> None:
        with self._lock:
            placed = worker in self._placed
        (self._idle if placed else self._spares).put(worker)

    def _spawn(self, *, placed: bool, nice: int = 0) -> Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        args, stderr_path = self.args, None
        if self.stderr_files:  # each worker's standard error, private (0600), read if it aborts
            handle, path = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".stderr")
            os.close(handle)
            args, stderr_path = (*args, path), Path(path)
        process = self._context.Process(
            target=self.target, args=(child_end, *args), daemon=True, name=self.name
        )
        process.start()
        child_end.close()
        worker = Worker(process, parent_end, stderr_path)
        if nice:  # at once: the child's imports and loading run at that priority too
            worker.lower_priority(nice)
        with self._lock:
            self._workers.add(worker)
            if placed:
                self._placed.add(worker)
        return worker

    def _await_ready(self, worker: Worker) -> None:
        try:
            if worker.connection.poll(self.startup_timeout):
                self.last_ready = worker.connection.recv()
                worker.keep_stderr()
                return
        except (EOFError, OSError):
            pass
        with self._lock:
            self._workers.discard(worker)
            self._placed.discard(worker)
        worker.stop()
        raise WorkerLost(f"a {self.name} worker could not start")

    def _start_in_background(self, *, placed: bool) -> None:
        with self._lock:
            if self._closed:
                return
        threading.Thread(
            target=self._start_one, args=(placed,), name=f"{self.name}-respawn", daemon=True
        ).start()

    def _start_one(self, placed: bool) -> None:
        worker = self._spawn(placed=placed)
        try:
            self._await_ready(worker)
        except WorkerLost:
            return
        with self._lock:
            closed = self._closed
        if closed:  # the pool closed while it loaded
            worker.stop()
            return
        self._place(worker)
