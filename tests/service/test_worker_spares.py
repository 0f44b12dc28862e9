"""The worker pool's warm spares (``pedall.service.worker_processes``, which the query
workers run on): a regular place the pool loses is taken at once by a spare loaded
beforehand, whether its worker ended (it said it cannot go on) or was withdrawn to run on
outside the regular places (as a query moving to the long lane is)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest

from pedall.service.worker_processes import WorkerProcesses
from service_server import process_alive

pytestmark = pytest.mark.slow  # spawns worker processes

LOAD_SECONDS = 1.0


def ends_on_stop(connection: Connection) -> None:
    """A worker slow to load that answers each message with itself, and ends after
    ``"stop"``."""
    time.sleep(LOAD_SECONDS)
    connection.send(("ready",))
    while True:
        message = connection.recv()
        connection.send((message != "stop", message))


@pytest.fixture
def pool() -> Iterator[WorkerProcesses]:
    workers = WorkerProcesses(ends_on_stop, (), size=1, timeout=10, name="test-spare", spares=1)
    workers.start()
    yield workers
    workers.close()


def answered_at_once(pool: WorkerProcesses) -> bool:
    began = time.monotonic()
    assert pool.call("next") == "next"
    return time.monotonic() - began < LOAD_SECONDS / 2


def test_a_worker_that_ends_is_replaced_by_the_spare_at_once(pool: WorkerProcesses) -> None:
    (first,) = pool.worker_pids()
    assert pool.call("stop") == "stop"
    assert answered_at_once(pool), "the spare answered; no fresh worker was awaited"
    (second,) = pool.worker_pids()
    assert second != first
    assert not process_alive(first)


def test_a_withdrawn_worker_runs_on_while_the_spare_takes_its_place(
    pool: WorkerProcesses,
) -> None:
    (first,) = pool.worker_pids()
    withdrawn = pool.take(time.monotonic() + 5)
    pool.withdraw(withdrawn)
    (second,) = pool.worker_pids()
    assert second != first
    assert answered_at_once(pool)
    assert withdrawn.exchange("still here", time.monotonic() + 5) == (True, "still here")
    pool.retire(withdrawn)
    assert not process_alive(first)
    assert pool.worker_pids() == [second], "a withdrawn worker leaves no place to fill"
