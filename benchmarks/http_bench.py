"""Requests per second for a library query: pedall serve against rdflib-endpoint 0.6.3
serving the same graph (the knowledge graph with its inferred triples), in the same run.

Two scenarios, each with the same number of concurrent clients on loopback for the same
time: the library query alone, then the same while one other client sends a slow query
(a cross join), which rdflib-endpoint runs in its event loop without a time limit.

    .venv/bin/python -m benchmarks.http_bench [--clients 8] [--seconds 10]

Run by hand; it prints a table and never fails on numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.query.export import export_graph
from pedall.query.library import find_query

SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
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


def load(url: str, query: str, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    """``clients`` threads sending ``query`` for ``seconds``: (requests, errors, latencies)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        with httpx.Client(timeout=seconds + 5) as http:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    response = http.get(
                        url,
                        params={"query": query},
                        headers={"Accept": "application/sparql-results+json"},
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    if ok:
                        latencies.append(time.monotonic() - started)
                    else:
                        errors += 1

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--query", default="lesion-genes", help="library query name")
    parser.add_argument("--serve-rdflib-endpoint", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_rdflib_endpoint:
        serve_rdflib_endpoint(arguments.serve_rdflib_endpoint, arguments.port)
        return

    query = find_query(arguments.query, DataFiles.default()).text
    knowledge = KnowledgeBase.load()
    with tempfile.TemporaryDirectory() as folder:
        ntriples = Path(folder) / "graph.nt"
        export_graph(knowledge, inferred=True).serialize(ntriples, format="nt", encoding="utf-8")
        pedall_port, peer_port = free_port(), free_port()
        servers = {
            "pedall": subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from pedall.cli.main import main; main()",
                    "serve",
                    "--port",
                    str(pedall_port),
                    "--query-timeout",
                    "5",
                    "--workers",
                    "2",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
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
