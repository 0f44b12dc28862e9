"""Requests per second for a library query: pedall serve against rdflib-endpoint 0.6.3
serving the same graph (the knowledge graph with its inferred triples), in the same run.

Two scenarios, each with the same number of concurrent clients on loopback for the same
time: the library query alone, then the same while one other client sends a slow query
(a cross join), which rdflib-endpoint runs in its event loop without a time limit.

    .venv/bin/python -m benchmarks.http_bench [--clients 8] [--seconds 10]

``--fairness`` measures pedall alone under mixed load instead: 16 clients sending a quick
query (a term's label, and the library query) with no other load, then the same while 4
other clients send the slow query over and over (each runs to the time limit and gets 503;
pedall runs them in its long lane), reporting p50, p95 and p99 of the quick queries and
their errors by status. The quick clients use ``http.client``, the lightest client at hand,
so that the latencies are the server's more than the client's.

    .venv/bin/python -m benchmarks.http_bench --fairness [--seconds 30]

Run by hand; it prints a table and never fails on numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.query.export import export_graph
from pedall.query.library import find_query

SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LABEL_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "SELECT ?label WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
STARTUP_SECONDS = 120.0


@dataclass(frozen=True)
class Measurement:
    """What the clients saw against one server in one scenario."""

    server: str
    scenario: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    error_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise RuntimeError(f"server for {url} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()  # rdflib-endpoint may still be inside the slow query
        process.wait()


def serve_rdflib_endpoint(ntriples: Path, port: int) -> None:
    """The peer: rdflib-endpoint's app on an rdflib graph parsed from ``ntriples``."""
    import uvicorn
    from rdflib import Graph
    from rdflib_endpoint import SparqlEndpoint

    graph = Graph()
    graph.parse(ntriples, format="nt")
    app = SparqlEndpoint(graph=graph, path="/sparql", cors_enabled=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rows(url: str, query: str) -> list[tuple[tuple[str, str], ...]]:
    """The SELECT answer as sorted rows of (variable, value), to compare servers."""
    answer = httpx.get(
        url,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()
    return sorted(
        tuple(sorted((name, term["value"]) for name, term in binding.items()))
        for binding in answer["results"]["bindings"]
    )


def load(
    url: str, query: str, clients: int, seconds: float, statuses: Counter[str] | None = None
) -> tuple[int, int, list[float]]:
    """``clients`` threads sending ``query`` for ``seconds``: (requests, errors, latencies);
    ``statuses`` counts the errors by HTTP status (or exception name)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    failures = statuses if statuses is not None else Counter()

    def client() -> None:
        nonlocal errors
        with httpx.Client(timeout=seconds + 30) as http:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    response = http.get(
                        url,
                        params={"query": query},
                        headers={"Accept": "application/sparql-results+json"},
                    )
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                with lock:
                    if outcome == "200":
                        latencies.append(time.monotonic() - started)
                    else:
                        errors += 1
                        failures[outcome] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), errors, latencies


def measure(
    server: str, url: str, query: str, clients: int, seconds: float, *, with_slow: bool
) -> Measurement:
    slow: threading.Thread | None = None
    if with_slow:

        def send_slow() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url, params={"query": SLOW_QUERY}, timeout=seconds + 5)

        slow = threading.Thread(target=send_slow, daemon=True)
        slow.start()
        time.sleep(0.3)
    started = time.monotonic()
    requests, errors, latencies = load(url, query, clients, seconds)
    elapsed = time.monotonic() - started
    scenario = "with a slow query running" if with_slow else "library query alone"
    return Measurement(server, scenario, requests, errors, elapsed, latencies)


def quick_load(
    url: str, query: str, clients: int, seconds: float, statuses: Counter[str]
) -> tuple[int, int, list[float]]:
    """As ``load``, with the standard library's ``http.client`` (one keep-alive connection
    a client): httpx spends about 3 ms of CPU a request here, and 16 threads of it in one
    process measure the client more than the server."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None, f"no host in {url}"
    host = parts.hostname
    target = f"{parts.path}?{urllib.parse.urlencode({'query': query})}"
    headers = {"Accept": "application/sparql-results+json"}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(host, parts.port, timeout=seconds + 30)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                connection.close()
            with lock:
                if outcome == "200":
                    latencies.append(time.monotonic() - started)
                else:
                    errors += 1
                    statuses[outcome] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), errors, latencies


def slow_clients(url: str, clients: int, stop: threading.Event) -> Counter[str]:
    """Start ``clients`` threads sending the slow query until ``stop``; their outcomes."""
    outcomes: Counter[str] = Counter()

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            while not stop.is_set():
                try:
                    outcomes[str(http.get(url, params={"query": SLOW_QUERY}).status_code)] += 1
                except httpx.HTTPError as error:
                    outcomes[type(error).__name__] += 1

    for _ in range(clients):
        threading.Thread(target=client, daemon=True).start()
    return outcomes


def fairness(url: str, queries: dict[str, str], seconds: float) -> list[Measurement]:
    """16 quick clients per query, alone and beside 4 slow clients (see the docstring)."""
    results = []
    for name, query in queries.items():
        for slow in (0, 4):
            stop = threading.Event()
            outcomes = slow_clients(url, slow, stop)
            if slow:
                time.sleep(0.3)
            statuses: Counter[str] = Counter()
            started = time.monotonic()
            requests, errors, latencies = quick_load(url, query, 16, seconds, statuses)
            elapsed = time.monotonic() - started
            stop.set()
            scenario = f"{name}, {'4 slow clients' if slow else 'alone'}"
            measured = Measurement("pedall", scenario, requests, errors, elapsed, latencies)
            results.append(measured)
            measured.error_statuses.update(statuses)
            if slow:
                print(f"{scenario}: slow queries answered {dict(outcomes)}")
                time.sleep(6)  # the last slow queries end (their time limit) before the next
    return results


def start_pedall(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pedall.cli.main import main; main()",
            "serve",
            "--port",
            str(port),
            "--query-timeout",
            "5",
            "--workers",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_settled(base: str) -> None:
    """Wait until every upload worker is idle: they go on loading (and use the CPU) for a
    while after the service answers, which would be measured as well."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        health = httpx.get(f"{base}/health", timeout=10).json()
        if health.get("idle_upload_workers", 0) >= len(health.get("upload_workers", [])):
            return
        time.sleep(1)


def main_fairness(library_query: str, seconds: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    server = start_pedall(port)
    try:
        wait_for(url, server)
        wait_until_settled(f"http://127.0.0.1:{port}")
        queries = {"term label": LABEL_QUERY, "library query": library_query}
        results = fairness(url, queries, seconds)
    finally:
        stop(server)
    print(f"\n16 quick clients, {seconds:g} s each, loopback, {os.cpu_count()} cores\n")
    header = (
        f"{'quick query, beside':<34}{'req/s':>9}{'ok':>8}{'errors':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.scenario:<34}{result.per_second:>9.1f}{result.requests:>8}"
            f"{result.errors:>8}{result.percentile(0.5):>9.1f}{result.percentile(0.95):>9.1f}"
            f"{result.percentile(0.99):>9.1f}"
            + (f"  {result.error_statuses}" if result.error_statuses else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--query", default="lesion-genes", help="library query name")
    parser.add_argument(
        "--fairness", action="store_true", help="quick queries beside 4 slow clients"
    )
    parser.add_argument("--serve-rdflib-endpoint", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_rdflib_endpoint:
        serve_rdflib_endpoint(arguments.serve_rdflib_endpoint, arguments.port)
        return

    query = find_query(arguments.query, DataFiles.default()).text
    if arguments.fairness:
        main_fairness(query, arguments.seconds)
        return
    knowledge = KnowledgeBase.load()
    with tempfile.TemporaryDirectory() as folder:
        ntriples = Path(folder) / "graph.nt"
        export_graph(knowledge, inferred=True).serialize(ntriples, format="nt", encoding="utf-8")
        pedall_port, peer_port = free_port(), free_port()
        servers = {
            "pedall": start_pedall(pedall_port),
            "rdflib-endpoint 0.6.3": subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.http_bench",
                    "--serve-rdflib-endpoint",
                    str(ntriples),
                    "--port",
                    str(peer_port),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        }
        urls = {
            "pedall": f"http://127.0.0.1:{pedall_port}/sparql",
            "rdflib-endpoint 0.6.3": f"http://127.0.0.1:{peer_port}/sparql",
        }
        try:
            for name, process in servers.items():
                wait_for(urls[name], process)
            answers = {name: rows(url, query) for name, url in urls.items()}
            same = len({json.dumps(answer) for answer in answers.values()}) == 1
            print(
                f"query {arguments.query!r}: {len(answers['pedall'])} rows, "
                f"same answer from both servers: {same}"
            )
            results = []
            for with_slow in (False, True):
                for name, url in urls.items():
                    results.append(
                        measure(
                            name,
                            url,
                            query,
                            arguments.clients,
                            arguments.seconds,
                            with_slow=with_slow,
                        )
                    )
        finally:
            for process in servers.values():
                stop(process)

    print(
        f"\n{arguments.clients} concurrent clients, {arguments.seconds:g} s each, loopback, "
        f"{os.cpu_count()} cores\n"
    )
    header = (
        f"{'server':<24}{'scenario':<28}{'req/s':>9}{'ok':>8}{'errors':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.server:<24}{result.scenario:<28}{result.per_second:>9.1f}"
            f"{result.requests:>8}{result.errors:>8}"
            f"{result.percentile(0.5):>9.1f}{result.percentile(0.95):>9.1f}"
        )
    alone = {r.server: r.per_second for r in results if r.scenario == "library query alone"}
    if alone.get("rdflib-endpoint 0.6.3"):
        ratio = alone["pedall"] / alone["rdflib-endpoint 0.6.3"]
        print(f"\npedall / rdflib-endpoint, library query alone: {ratio:.1f}x")


if __name__ == "__main__":
    main()
