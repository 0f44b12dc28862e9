"""Fairness under load, against a real ``pedall serve`` on loopback: slow queries run in
the long lane and cannot starve quick ones (no 503 for a quick query while four slow ones
run), and slow clients are cut off (a head or a body sent a byte at a time gets 408, a
silent connection is closed). Behaviour only: the timings are in benchmarks/http_bench.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from service_server import RunningService, running_service

QUERY_TIMEOUT = 5.0
CLIENT_TIMEOUT = 1.0
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUICK_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "SELECT ?label WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
SLOW_CLIENTS, QUICK_CLIENTS = 4, 16


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    log_path = tmp_path_factory.mktemp("fairness") / "serve.log"
    arguments = (
        "--query-timeout",
        str(QUERY_TIMEOUT),
        "--workers",
        "2",
        "--long-queries",
        str(SLOW_CLIENTS),
        "--client-timeout",
        str(CLIENT_TIMEOUT),
    )
    with running_service(log_path, *arguments) as running:
        yield running


def test_quick_queries_get_no_503_while_four_slow_ones_run(service: RunningService) -> None:
    stop = threading.Event()
    slow_statuses: list[int] = []
    long_lane_seen: list[int] = []

    def slow_client() -> None:
        with httpx.Client(base_url=service.base_url, timeout=60) as http:
            while not stop.is_set():
                response = http.get("/sparql", params={"query": SLOW_QUERY})
                slow_statuses.append(response.status_code)

    def quick_client(_: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=service.base_url, timeout=60) as http:
            while not stop.is_set():
                response = http.get("/sparql", params={"query": QUICK_QUERY, "format": "csv"})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    assert response.text.splitlines() == ["label", "BCR::ABL1"]
        return statuses

    slow_threads = [threading.Thread(target=slow_client) for _ in range(SLOW_CLIENTS)]
    for thread in slow_threads:
        thread.start()
    with ThreadPoolExecutor(max_workers=QUICK_CLIENTS) as quick_pool:
        quick = [quick_pool.submit(quick_client, number) for number in range(QUICK_CLIENTS)]
        # Two rounds of slow queries: the first found long in the regular lane and moved,
        # the second sent straight to the long lane as known long.
        deadline = time.monotonic() + 2 * QUERY_TIMEOUT + 4
        with httpx.Client(base_url=service.base_url, timeout=60) as http:
            while time.monotonic() < deadline:
                long_lane_seen.append(len(http.get("/health").json()["long_query_workers"]))
                time.sleep(0.5)
        stop.set()
        statuses = [status for future in quick for status in future.result()]
    for thread in slow_threads:
        thread.join(timeout=60)

    assert len(statuses) > QUICK_CLIENTS, "the quick clients were served all along"
    assert [status for status in statuses if status != 200] == []
    assert max(long_lane_seen) >= 2, "slow queries ran in the long lane"
    assert slow_statuses and set(slow_statuses) <= {503}, "each slow query hit its time limit"
    health = httpx.get(f"{service.base_url}/health", timeout=30).json()
    assert len(health["query_workers"]) == 2


def read_until_closed(connection: socket.socket, send: bytes, pause: float) -> tuple[bytes, int]:
    """Send ``send`` a byte at a time, ``pause`` seconds apart, until the server answers or
    closes; what it answered and how many bytes were sent."""
    answer = b""
    sent = 0
    connection.settimeout(pause)
    for byte in send:
        try:
            connection.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
        try:
            chunk = connection.recv(4096)
        except TimeoutError:
            continue
        answer += chunk
        if not chunk or answer:
            break
    connection.settimeout(10)
    try:
        while chunk := connection.recv(4096):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return answer, sent


def test_a_head_sent_a_byte_at_a_time_is_cut_off(service: RunningService) -> None:
    host, port = service.base_url.removeprefix("http://").split(":")
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"
    with socket.create_connection((host, int(port))) as connection:
        answer, sent = read_until_closed(connection, head, pause=0.2)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert sent < len(head), "the connection was closed before the head was complete"


def test_a_body_sent_a_byte_at_a_time_is_cut_off(service: RunningService) -> None:
    host, port = service.base_url.removeprefix("http://").split(":")
    body = b"query=" + b"ASK%20%7B%7D" + b"+" * 400
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head)
        answer, sent = read_until_closed(connection, body, pause=0.2)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert sent < len(body)


def test_a_silent_connection_is_closed_and_others_are_served(service: RunningService) -> None:
    host, port = service.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as silent:
        silent.settimeout(30)
        assert silent.recv(4096) == b"", "closed without an answer"
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        for _ in range(3):  # keep-alive requests on one connection, each in time
            assert http.get("/health").status_code == 200
