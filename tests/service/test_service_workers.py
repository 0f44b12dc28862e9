"""The query worker pool on its own: answers, the time limit and the memory limit, each
ending with the offending worker killed and a fresh one serving the next query."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pedall.errors import QueryTimeoutError, QueryWorkerError
from pedall.service.query_workers import QueryRequest, QueryWorkerPool
from service_server import process_alive

# 2,000 triples: small to load; sorting their cross join (4,000,000 rows) needs ~1 GB.
NTRIPLES = "".join(
    f"<urn:pedall:s{n}> <urn:pedall:p> <urn:pedall:o{n % 7}> .\n" for n in range(2000)
).encode()
COUNT = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv", None)
CROSS_JOIN_ROWS = QueryRequest("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d", None, None)
ENDLESS_COUNT = QueryRequest(
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", None, None
)


@pytest.fixture
def pool() -> Iterator[QueryWorkerPool]:
    workers = QueryWorkerPool(NTRIPLES, size=1, timeout=3.0, memory_bytes=256 * 1024**2)
    workers.start()
    yield workers
    workers.close()


def wait_for_a_fresh_worker(pool: QueryWorkerPool, replaced: int) -> None:
    answer = pool.answer(COUNT)  # waits for the successor (up to the time limit)
    assert answer.body.split() == [b"n", b"2000"]
    assert pool.worker_pids() and replaced not in pool.worker_pids()


def test_a_query_over_time_is_stopped_and_its_worker_replaced(pool: QueryWorkerPool) -> None:
    (first,) = pool.worker_pids()
    with pytest.raises(QueryTimeoutError, match="time limit of 3 s"):
        pool.answer(ENDLESS_COUNT)
    assert not process_alive(first)
    wait_for_a_fresh_worker(pool, first)


def test_a_query_over_the_memory_limit_ends_its_worker_not_the_service(
    pool: QueryWorkerPool,
) -> None:
    (first,) = pool.worker_pids()
    with pytest.raises(QueryWorkerError, match="256 MB"):
        pool.answer(CROSS_JOIN_ROWS)
    assert not process_alive(first)
    wait_for_a_fresh_worker(pool, first)
