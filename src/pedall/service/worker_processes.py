"""Worker processes that answer one request at a time, each killed and replaced when a
request runs over the time limit, so the work really stops and the service goes on.

A worker is a spawned process running ``target(connection, *args)``: it loads what it
needs, sends ``("ready",)``, then answers each message it receives with one reply,
``(serves_on, answer)``: a worker that cannot go on (it ran out of memory) says
``serves_on=False``, exits, and is replaced. The
parent waits for a reply off the event loop (``run``) and never longer than the time
limit, counting the wait for a free worker. Over it, the worker is killed and a fresh one
starts in the background. The upload workers (``pedall.service.upload_workers``) use this.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

# How long a new worker may take to load before the pool gives up on it.
STARTUP_TIMEOUT_SECONDS = 180.0


class WorkerBusy(Exception):
    """Every worker stayed busy for the whole time limit."""


class WorkerTimeout(Exception):
    """The request ran over the time limit; its worker was killed."""


class WorkerLost(Exception):
    """The worker died while answering (or could not start)."""


@dataclass(eq=False)
class Worker:
    """One worker process and the parent's end of its pipe."""

    process: BaseProcess
    connection: Connection
    # The pool's closing and its background start may stop one worker at once: the pipe
    # must be closed once, or the second close hits a descriptor the first freed (and that
    # may by then belong to another file).
    _stopping: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopped: bool = False

    def stop(self) -> None:
        """Kill the process (a request may be running) and close the pipe, once."""
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=10)
            self.connection.close()


class WorkerProcesses:
    """``size`` spawned processes running ``target``, each answering one request at a time
    within ``timeout`` seconds."""

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[object, ...],
        *,
        size: int,
        timeout: float,
        name: str,
    ) -> None:
        self.target = target
        self.args = args
        self.size = size
        self.timeout = timeout
        self.name = name
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._workers: set[Worker] = set()
        self._started = threading.Event()  # set once the first worker is ready
        self._lock = threading.Lock()
        self._closed = False
        # Threads that wait on workers; more than the workers so waiting clients queue here.
        self._waiters = ThreadPoolExecutor(max_workers=size + 32, thread_name_prefix=name)

    def start(self, *, wait: bool = True) -> None:
        """Start every worker; with ``wait``, until each is ready (WorkerLost if one could
        not start), else in the background: a request then waits for the first worker
        to be ready (besides its own time limit), and the service need not."""
        starting = [self._spawn() for _ in range(self.size)]
        if not wait:
            threading.Thread(
                target=self._await_all, args=(starting,), name=f"{self.name}-start", daemon=True
            ).start()
            return
        for worker in starting:
            self._await_ready(worker)
            self._idle.put(worker)
        self._started.set()

    def _await_all(self, starting: list[Worker]) -> None:
        for worker in starting:
            try:
                self._await_ready(worker)
            except WorkerLost:
                continue
            self._idle.put(worker)
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
        """The process ids of the live workers (for health reports)."""
        with self._lock:
            return sorted(w.process.pid for w in self._workers if w.process.pid is not None)

    def idle_workers(self) -> int:
        """How many workers are waiting for a request."""
        return self._idle.qsize()

    async def run(self, message: object) -> object:
        """``call`` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waiters, self.call, message)

    def call(self, message: object) -> object:
        """The reply of an idle worker to ``message``, within the time limit (the wait for
        a free worker counts); WorkerBusy, WorkerTimeout or WorkerLost otherwise."""
        self._started.wait(STARTUP_TIMEOUT_SECONDS)
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise WorkerBusy from None
        try:
            worker.connection.send(message)
            finished = worker.connection.poll(max(deadline - time.monotonic(), 0.0))
            reply = worker.connection.recv() if finished else None
        except (EOFError, OSError):
            self._replace(worker)
            raise WorkerLost from None
        if reply is None:
            self._replace(worker)
            raise WorkerTimeout
        serves_on, answer = reply
        if serves_on:
            self._idle.put(worker)
        else:
            self._replace(worker)
        return answer

    def _spawn(self) -> Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=self.target, args=(child_end, *self.args), daemon=True, name=self.name
        )
        process.start()
        child_end.close()
        worker = Worker(process, parent_end)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _await_ready(self, worker: Worker) -> None:
        try:
            if worker.connection.poll(STARTUP_TIMEOUT_SECONDS):
                worker.connection.recv()
                return
        except (EOFError, OSError):
            pass
        with self._lock:
            self._workers.discard(worker)
        worker.stop()
        raise WorkerLost(f"a {self.name} worker could not start")

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` now; start its successor in the background."""
        with self._lock:
            self._workers.discard(worker)
        worker.stop()
        with self._lock:
            if self._closed:
                return
        successor = threading.Thread(
            target=self._start_successor, name=f"{self.name}-respawn", daemon=True
        )
        successor.start()

    def _start_successor(self) -> None:
        with self._lock:
            if self._closed:
                return
        worker = self._spawn()
        try:
            self._await_ready(worker)
        except WorkerLost:
            return
        self._idle.put(worker)
