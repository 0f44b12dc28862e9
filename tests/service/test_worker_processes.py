"""The killable worker pool (``pedall.service.worker_processes``) shut down while its
workers are still starting in the background: each pipe is closed once, and neither the
start thread nor the closing raises (a double close once freed a descriptor that another
file had taken, and failed whole test modules)."""

from __future__ import annotations

import threading
import time
from multiprocessing.connection import Connection

import pytest

from pedall.service.worker_processes import WorkerProcesses

pytestmark = pytest.mark.slow  # spawns worker processes


def slow_to_start(connection: Connection) -> None:
    """A worker that takes a while to be ready, then answers each message with itself."""
    time.sleep(1.0)
    connection.send(("ready",))
    while True:
        message = connection.recv()
        connection.send((True, message))


def test_closing_while_the_workers_start_stops_each_once() -> None:
    failures: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        pool = WorkerProcesses(slow_to_start, (), size=2, timeout=10, name="test-start")
        pool.start(wait=False)
        pool.close()  # the start thread is still waiting for the first worker
        for thread in threading.enumerate():
            if thread.name == "test-start-start":
                thread.join(timeout=30)
        assert pool.worker_pids() == []
    finally:
        threading.excepthook = previous
    assert failures == []


def test_a_worker_is_stopped_once_however_often_it_is_asked() -> None:
    pool = WorkerProcesses(slow_to_start, (), size=1, timeout=10, name="test-once")
    pool.start()
    worker = pool.take(time.monotonic() + 10)
    worker.stop()
    worker.stop()  # the second call does nothing (before: OSError, bad file descriptor)
    pool.close()
    assert worker.connection.closed
