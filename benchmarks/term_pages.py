"""Time the term pages of a running ``pedall serve``: each term of the namespace, on one
kept-alive loopback connection, as a browser or a linked-data client asks for it.

``python -m benchmarks.term_pages [--requests 5]`` starts ``pedall serve`` (the closure
from the user's cache), asks the endpoint for every IRI of the pedall namespace and
requests each one's ``/id/NAME`` once and then ``--requests`` times, in two kinds: the RDF
description with the inferred triples (``?inferred=true``, Turtle) and the HTML page. A
name that redirects (a synonym, the version IRI) is skipped. It prints, per kind, the
median over the terms of each term's median, the slowest term's median and the 95th
percentile of every request, in milliseconds, and apart the first request of each term
(the service serializes a description once per format and then answers it from memory).
``benchmarks.startup`` runs it too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchmarks.http_bench import free_port, stop, wait_for, wait_until_settled

NAMESPACE = "https://w3id.org/pedall/"
TERMS_QUERY = (
    "SELECT DISTINCT ?term WHERE { ?term ?p ?o "
    f'FILTER(isIRI(?term) && STRSTARTS(STR(?term), "{NAMESPACE}")) }}'
)


@dataclass(frozen=True)
class PageKind:
    """One way of asking for a term: a query string and an Accept header."""

    name: str
    query: str
    accept: str


KINDS = (
    PageKind("term description with inferred triples (Turtle)", "?inferred=true", "text/turtle"),
    PageKind("term page (HTML)", "", "text/html"),
)


@dataclass(frozen=True)
class PageTimes:
    """What the requests of one kind took, in seconds: each term's median, every request."""

    kind: PageKind
    per_term: dict[str, float]
    every: list[float]
    first: dict[str, float]  # each term's first request

    @property
    def first_median(self) -> float:
        return statistics.median(self.first.values())

    @property
    def first_slowest(self) -> tuple[str, float]:
        return max(self.first.items(), key=lambda item: item[1])

    @property
    def median(self) -> float:
        return statistics.median(self.per_term.values())

    @property
    def slowest(self) -> tuple[str, float]:
        return max(self.per_term.items(), key=lambda item: item[1])

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.every, n=20)[-1]


def start_server(port: int, environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """``pedall serve`` on loopback ``port``, with one query worker (less to share the two
    cores with)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pedall.cli.main import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=dict(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def term_names(connection: http.client.HTTPConnection) -> list[str]:
    """The local names of every IRI of the pedall namespace that is a subject."""
    path = "/sparql?" + urllib.parse.urlencode({"query": TERMS_QUERY})
    connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
    answer = connection.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise SystemExit(f"the terms query failed: HTTP {answer.status} {body[:200]!r}")
    bindings = json.loads(body)["results"]["bindings"]
    names = (binding["term"]["value"].removeprefix(NAMESPACE) for binding in bindings)
    return sorted(name for name in names if name)


def timed_get(connection: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, float]:
    """The status of one GET and the seconds until its whole body was read."""
    started = time.perf_counter()
    connection.request("GET", path, headers={"Accept": accept})
    answer = connection.getresponse()
    answer.read()
    return answer.status, time.perf_counter() - started


def time_pages(
    connection: http.client.HTTPConnection, names: Sequence[str], kind: PageKind, requests: int
) -> PageTimes:
    """Each term answered with 200: its first request, then ``requests`` more."""
    per_term: dict[str, float] = {}
    every: list[float] = []
    first: dict[str, float] = {}
    for name in names:
        path = "/id/" + urllib.parse.quote(name, safe="/:@!$&'()*+,;=-._~") + kind.query
        status, first[name] = timed_get(connection, path, kind.accept)
        if status != 200:  # a name that redirects, or one the graph only mentions
            del first[name]
            continue
        seconds = [timed_get(connection, path, kind.accept)[1] for _ in range(requests)]
        per_term[name] = statistics.median(seconds)
        every += seconds
    if not per_term:
        raise SystemExit(f"no term answered 200 for {kind.name}")
    return PageTimes(kind, per_term, every, first)


def measure_term_pages(environment: Mapping[str, str], requests: int) -> list[PageTimes]:
    """Start a server with ``environment``, time every kind of page of every term, stop."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, environment)
    try:
        wait_for(f"{base}/sparql", server)
        wait_until_settled(base)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            names = term_names(connection)
            return [time_pages(connection, names, kind, requests) for kind in KINDS]
        finally:
            connection.close()
    finally:
        stop(server)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=5, help="timed requests per term")
    options = parser.parse_args(argv)
    for times in measure_term_pages(os.environ, options.requests):
        name, slowest = times.slowest
        first_name, first_slowest = times.first_slowest
        print(
            f"{times.kind.name}: {len(times.per_term)} terms, median {times.median * 1e3:.1f} ms, "
            f"slowest {slowest * 1e3:.1f} ms ({name}), p95 {times.p95 * 1e3:.1f} ms; first "
            f"request median {times.first_median * 1e3:.1f} ms, slowest "
            f"{first_slowest * 1e3:.1f} ms ({first_name})"
        )


if __name__ == "__main__":
    main()
