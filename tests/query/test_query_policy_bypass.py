"""Attempts to get SERVICE, FROM or an update past the query policy, each against a live
listener on loopback: every attempt is refused and the listener sees no connection, through
the library (``run_query``), the service's query workers and the HTTP service in-process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pyoxigraph
import pytest
from fastapi.testclient import TestClient

from connection_listener import Listener
from pedall.errors import ForbiddenQueryError, QueryError, QuerySyntaxError, ReadOnlyError
from pedall.query.policy import normalise_query_text
from pedall.query.sparql import run_query
from pedall.service.app import create_app
from pedall.service.query_workers import QueryRequest, QueryWorkerPool
from pedall.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.socket.close()


def service_attempts(url: str) -> list[str]:
    """SERVICE calls to ``url`` hidden every way we know."""
    pattern = "{ ?s ?p ?o }"
    return [
        f"SELECT * WHERE {{ # note\rSERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\r\nSERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\nSERVICE <{url}> {pattern} }}",
        f"# all on one 'line'\rSELECT * WHERE {{ SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\fSERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\vSERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\x85SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\u2028SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\u2029SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\\u000DSERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ # note\\u000ASERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERV\\u0049CE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ \\U00000053ERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ \\u005Cu0053ERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ sErViCe <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {pattern} }}",
        f"PREFIX remote: <{url}>\nSELECT * WHERE {{ SERVICE remote:sparql {pattern} }}",
        f"SELECT * WHERE {{ VALUES ?at {{ <{url}> }} SERVICE ?at {pattern} }}",
        f'SELECT * WHERE {{ ?s ?p "#" . SERVICE <{url}> {pattern} }}',
        f"SELECT * WHERE {{ ?s ?p '''#\r''' . SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ ?s ?p '''#''' . SERVICE <{url}> {pattern} ?s ?p '''\n''' }}",
        f"SELECT * WHERE {{ {{ {{ {{ SERVICE <{url}> {pattern} }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ FILTER EXISTS {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {pattern} }} }} }}",
        f"ASK {{ # x\rSERVICE <{url}> {pattern} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ # x\rSERVICE <{url}> {pattern} }}",
        f"DESCRIBE ?s WHERE {{ # x\rSERVICE <{url}> {pattern} }}",
    ]


def from_attempts(url: str) -> list[str]:
    """FROM and FROM NAMED clauses naming ``url``."""
    return [
        f"SELECT * FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * # x\rFROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * # x\rFROM NAMED <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FR\\u004FM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"ASK fRoM <{url}data.ttl> {{ ?s ?p ?o }}",
    ]


def update_attempts(url: str) -> list[str]:
    """Every form of SPARQL Update, aimed at ``url`` where the form names a graph."""
    triple = f"<{url}a> <{url}b> <{url}c>"
    return [
        f"INSERT DATA {{ {triple} }}",
        f"DELETE DATA {{ {triple} }}",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        "DELETE WHERE { ?s ?p ?o }",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"LOAD <{url}data.ttl>",
        f"LOAD SILENT <{url}data.ttl> INTO GRAPH <{url}g>",
        "CLEAR ALL",
        f"CLEAR GRAPH <{url}g>",
        f"CREATE GRAPH <{url}g>",
        "DROP DEFAULT",
        f"DROP SILENT GRAPH <{url}g>",
        f"COPY DEFAULT TO <{url}g>",
        f"MOVE <{url}g> TO DEFAULT",
        f"ADD DEFAULT TO <{url}g>",
        f"# x\rLOAD <{url}data.ttl>",
    ]


URL_PLACEHOLDER = "http://127.0.0.1:1/"
ATTEMPTS = [
    *((text, ForbiddenQueryError) for text in service_attempts(URL_PLACEHOLDER)),
    *((text, ForbiddenQueryError) for text in from_attempts(URL_PLACEHOLDER)),
    *((text, ReadOnlyError) for text in update_attempts(URL_PLACEHOLDER)),
]
# Where the text is read as an unfinished comment or a bad escape, a syntax error is the
# refusal (form feed, VT, NEL, U+2028/9 end no comment; an escape of an escape; rdflib
# reads a "#" in a string as the start of a comment).
SYNTAX_ERRORS = ("\f", "\v", "\x85", "\u2028", "\u2029", "\\u005C", '"#"', "'''#'''")


def _expected(text: str, refusal: type[QueryError]) -> tuple[type[QueryError], ...]:
    if any(mark in text for mark in SYNTAX_ERRORS):
        return (QuerySyntaxError,)
    return (refusal,)


@pytest.mark.parametrize(("text", "refusal"), ATTEMPTS)
def test_library_refuses_and_no_connection_is_made(
    listener: Listener, text: str, refusal: type[QueryError]
) -> None:
    text = text.replace(URL_PLACEHOLDER, f"http://127.0.0.1:{listener.port}/")
    before = listener.connections_so_far()
    with pytest.raises(_expected(text, refusal)):
        run_query(pyoxigraph.Store(), text)
    assert listener.connections_so_far() == before


def test_the_listener_sees_what_pyoxigraph_does_without_the_policy(listener: Listener) -> None:
    # pyoxigraph follows SERVICE over HTTP, ending a comment at a bare CR: the attack
    # the policy stops is real, and the listener would notice it.
    before = listener.connections_so_far()
    text = f"SELECT * WHERE {{ # note\rSERVICE <http://127.0.0.1:{listener.port}/> {{}} }}"
    with pytest.raises(OSError):
        list(pyoxigraph.Store().query(text))  # type: ignore[arg-type]
    assert listener.connections_so_far() == before + 1


def test_policy_and_engine_get_the_same_normalised_text() -> None:
    assert normalise_query_text("# a\rSELECT\r\n*") == "# a\nSELECT\n*"
    assert normalise_query_text("SERV\\u0049CE \\U00000041") == "SERVICE A"
    with pytest.raises(QuerySyntaxError, match="surrogate"):
        normalise_query_text('SELECT ("\\uD800" AS ?x) {}')
    with pytest.raises(QuerySyntaxError, match="another escape"):
        normalise_query_text("\\u005Cu0041")


def test_harmless_text_with_cr_line_ends_still_runs() -> None:
    store = pyoxigraph.Store()
    assert run_query(store, "# a note\rASK\r\n{ }").boolean is True


CUT_OFF_SCRIPT = """
import sys
import pyoxigraph
from pedall.service.no_network import cut_network
print(cut_network())
try:
    list(pyoxigraph.Store().query("SELECT * WHERE { SERVICE <%s> { } }"))
except OSError as error:
    print(type(error).__name__)
"""


def test_a_worker_cut_off_the_network_cannot_connect_even_past_the_policy(
    listener: Listener,
) -> None:
    # The engine is called directly (no policy): only the network cut stops it.
    before = listener.connections_so_far()
    url = f"http://127.0.0.1:{listener.port}/"
    done = subprocess.run(
        [sys.executable, "-c", CUT_OFF_SCRIPT % url], capture_output=True, text=True, check=True
    )
    in_own_namespace, error = done.stdout.split()
    if in_own_namespace != "True":
        pytest.skip("this kernel refuses an unprivileged network namespace")
    assert error == "OSError"
    assert listener.connections_so_far() == before


def test_python_sockets_in_a_cut_off_process_refuse_to_connect(listener: Listener) -> None:
    script = (
        "import socket\nfrom pedall.service.no_network import cut_network\ncut_network()\n"
        f"socket.create_connection(('127.0.0.1', {listener.port}))\n"
    )
    before = listener.connections_so_far()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0
    assert "cut off the network" in done.stderr
    assert listener.connections_so_far() == before


@pytest.fixture(scope="module")
def pool() -> Iterator[QueryWorkerPool]:
    workers = QueryWorkerPool(b"<urn:a> <urn:b> <urn:c> .", size=1, timeout=20.0)
    workers.start()
    yield workers
    workers.close()


@pytest.mark.parametrize(("text", "refusal"), ATTEMPTS[::3])
def test_service_workers_refuse_and_no_connection_is_made(
    listener: Listener, pool: QueryWorkerPool, text: str, refusal: type[QueryError]
) -> None:
    text = text.replace(URL_PLACEHOLDER, f"http://127.0.0.1:{listener.port}/")
    before = listener.connections_so_far()
    with pytest.raises(_expected(text, refusal)):
        pool.answer(QueryRequest(text, None, None))
    assert listener.connections_so_far() == before


def test_service_workers_run_in_a_network_namespace_of_their_own(pool: QueryWorkerPool) -> None:
    if not pool.network_namespace:
        pytest.skip("this kernel refuses an unprivileged network namespace")
    assert pool.answer(QueryRequest("ASK { ?s ?p ?o }", None, None)).body.endswith(b"true}")


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    app = create_app(ServiceSettings(workers=1))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


HTTP_ATTEMPTS = [
    (text, refusal)
    for text, refusal in ATTEMPTS
    if "\r" in text or "\\u" in text or text.startswith(("LOAD", "INSERT DATA"))
]


@pytest.mark.parametrize(("text", "refusal"), HTTP_ATTEMPTS)
@pytest.mark.parametrize("how", ["get", "form", "sparql-query"])
def test_http_service_refuses_and_no_connection_is_made(
    listener: Listener, http: TestClient, text: str, refusal: type[QueryError], how: str
) -> None:
    text = text.replace(URL_PLACEHOLDER, f"http://127.0.0.1:{listener.port}/")
    before = listener.connections_so_far()
    if how == "get":
        response = http.get("/sparql", params={"query": text})
    elif how == "form":
        response = http.post("/sparql", data={"query": text})
    else:
        response = http.post(
            "/sparql",
            content=text.encode(),
            headers={"Content-Type": "application/sparql-query"},
        )
    status = 403 if _expected(text, refusal) == (ReadOnlyError,) else 400
    assert response.status_code == status, response.text
    assert listener.connections_so_far() == before
