"""``pedall.service.sparql_protocol`` in-process: the SPARQL 1.1 Protocol at ``/sparql`` in
its three forms and every answer format, the service description and VoID, and its error
answers (status, ``text/plain`` message, ``Vary: Accept``); VoID's errors are JSON.

Real clients over a socket (SPARQLWrapper), the time limit and the load test stay with
the running server (``tests/service/test_service_http.py``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from httpx import HTTPError
from httpx import get as http_get
from httpx2 import Response
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from http_answers import LOOPBACK, assert_json_error, assert_text_error, in_process, listening

PEDALL = Namespace("https://w3id.org/pedall/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
LABEL_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?label WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
CONSTRUCT_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "CONSTRUCT { pedall:BCR-ABL1 rdfs:label ?label } WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
UNKNOWN_FUNCTION = "PREFIX ex: <http://example.org/> SELECT (ex:nothing(1) AS ?x) {}"
# 21 numbers and numeric strings: pyoxigraph's ORDER BY compares them in no total order,
# and Rust's sort aborts the process (a panic pyoxigraph is built to abort on).
MIXED_ORDER = (
    'SELECT ?o { VALUES ?o { "1" 1 26 22 11 17 "3" 2 "13" 27 "8" "19" 4 23 "9" 9 "12" "11" '
    '"10" "21" 18 } } ORDER BY DESC(?o)'
)
BCR_ABL1_LABEL = (PEDALL["BCR-ABL1"], RDFS.label, Literal("BCR::ABL1", lang="en"))
PROTOCOL_FORMS = ("get", "form", "direct")
UPDATE = "INSERT DATA { <a:a> <a:b> 1 }"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


def parsed(body: bytes, rdf_format: pyoxigraph.RdfFormat) -> Graph:
    """An rdflib graph of a serialization (parsed by pyoxigraph, handed over as N-Triples)."""
    triples = pyoxigraph.parse(body, format=rdf_format)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=ntriples, format="nt")


def protocol_request(client: TestClient, method: str, query: str, accept: str) -> Response:
    """``query`` sent in one of the protocol's forms: GET, POST form or POST directly."""
    headers = {"Accept": accept}
    if method == "get":
        return client.get("/sparql", params={"query": query}, headers=headers)
    if method == "form":
        return client.post("/sparql", data={"query": query}, headers=headers)
    headers["Content-Type"] = "application/sparql-query"
    return client.post("/sparql", content=query.encode(), headers=headers)


# --- answers -------------------------------------------------------------------------------


def first_label(body: bytes) -> str:
    label: str = json.loads(body)["results"]["bindings"][0]["label"]["value"]
    return label


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
@pytest.mark.parametrize(
    ("accept", "media_type", "check"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", first_label),
        ("application/json", "application/sparql-results+json", None),
        ("application/sparql-results+xml", "application/sparql-results+xml", None),
        ("text/csv", "text/csv", lambda body: body.decode().splitlines()[1]),
        ("text/tab-separated-values", "text/tab-separated-values", None),
        ("text/csv;q=0.4, text/tab-separated-values;q=0.9", "text/tab-separated-values", None),
        ("*/*", "application/sparql-results+json", None),
    ],
)
def test_select_in_each_results_format(
    client: TestClient,
    method: str,
    accept: str,
    media_type: str,
    check: Callable[[bytes], str] | None,
) -> None:
    response = protocol_request(client, method, LABEL_QUERY, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["vary"] == "Accept"
    assert b"BCR::ABL1" in response.content
    if check is not None:
        assert check(response.content) == "BCR::ABL1"


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", pyoxigraph.RdfFormat.TURTLE),
        ("application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
        ("application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
    ],
)
def test_construct_in_each_graph_format(
    client: TestClient, method: str, accept: str, rdf_format: pyoxigraph.RdfFormat
) -> None:
    response = protocol_request(client, method, CONSTRUCT_QUERY, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    assert set(parsed(response.content, rdf_format)) == {BCR_ABL1_LABEL}


def test_the_format_parameter_overrides_accept(client: TestClient) -> None:
    response = client.get(
        "/sparql", params={"query": LABEL_QUERY, "format": "csv"}, headers={"Accept": "text/xml"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines() == ["label", "BCR::ABL1"]


def test_the_service_description_with_void(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["vary"] == "Accept"
    graph = parsed(response.content, pyoxigraph.RdfFormat.TURTLE)
    endpoint = URIRef(f"{LOOPBACK}/sparql")
    assert (endpoint, RDF.type, SD.Service) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    triples = [int(str(value)) for value in graph.objects(None, VOID.triples)]
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) {?s ?p ?o}"})
    assert triples == [int(count.json()["results"]["bindings"][0]["n"]["value"])]
    dumps = [str(dump) for dump in graph.objects(None, VOID.dataDump)]
    assert dumps and client.get(dumps[0]).status_code == 200


def test_void_at_the_well_known_place(client: TestClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    graph = parsed(response.content, pyoxigraph.RdfFormat.N_TRIPLES)
    (dataset,) = graph.subjects(RDF.type, VOID.Dataset)
    assert (dataset, VOID.uriSpace, Literal(str(PEDALL))) in graph


def test_a_browser_asking_for_the_endpoint_is_sent_to_the_query_page(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/query")
    assert response.headers["vary"] == "Accept"


# --- errors: plain text on /sparql ---------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda http: http.post("/sparql", data={"update": UPDATE}),
        lambda http: http.post(
            "/sparql",
            content=UPDATE.encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
        lambda http: http.get("/sparql", params={"update": UPDATE}),
        lambda http: http.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
        lambda http: http.post("/sparql", data={"query": "CLEAR ALL"}),
    ],
)
def test_updates_are_refused_with_403(
    client: TestClient, send: Callable[[TestClient], Response]
) -> None:
    assert_text_error(send(client), 403, "read-only")
    still_there = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    assert still_there.text.splitlines() == ["label", "BCR::ABL1"]


def test_a_malformed_query_is_400_with_the_parsers_message(client: TestClient) -> None:
    message = assert_text_error(
        client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x"}), 400, "SPARQL syntax error"
    )
    assert "Expected" in message


def test_an_unknown_function_is_a_client_error(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": UNKNOWN_FUNCTION})
    assert_text_error(response, 400, "<http://example.org/nothing>")


def test_a_repeated_or_missing_query_is_400(client: TestClient) -> None:
    repeated = client.post("/sparql", content=b"query=ASK{}&query=ASK{}", headers=FORM)
    assert_text_error(repeated, 400, "'query' was given 2 times")
    assert_text_error(client.post("/sparql", content=b"", headers=FORM), 400, "no query")
    not_utf8 = client.post(
        "/sparql", content=b"ASK {\xff}", headers={"Content-Type": "application/sparql-query"}
    )
    assert_text_error(not_utf8, 400, "not UTF-8")


def test_a_post_of_another_content_type_is_415(client: TestClient) -> None:
    response = client.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"})
    assert assert_text_error(response, 415, "unsupported Content-Type 'text/plain'") == (
        "unsupported Content-Type 'text/plain'; "
        "send application/x-www-form-urlencoded or application/sparql-query"
    )


def test_an_answer_in_no_acceptable_format_is_406(client: TestClient) -> None:
    from_a_worker = protocol_request(client, "get", LABEL_QUERY, "image/png")
    assert "text/csv" in assert_text_error(from_a_worker, 406, "")
    description = client.get("/sparql", headers={"Accept": "image/png"})
    assert assert_text_error(description, 406, "not acceptable") == (
        "not acceptable; offered: application/ld+json, application/n-triples, "
        "application/rdf+xml, text/turtle"
    )
    void = client.get("/.well-known/void", headers={"Accept": "image/png"})
    assert_json_error(void, 406, "not-acceptable", "text/turtle")
    assert void.headers["vary"] == "Accept"


def test_another_method_is_405_with_allow(client: TestClient) -> None:
    response = client.put("/sparql", content=b"ASK {}")
    assert_text_error(response, 405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, POST"  # both routes of the path


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    large = b"x" * 1_000_001
    response = client.post(
        "/sparql", content=large, headers={"Content-Type": "application/sparql-query"}
    )
    assert_text_error(response, 413, "over the limit")


@pytest.mark.slow  # the app and its query workers
def test_the_listener_sees_a_real_connection() -> None:
    """The listener below does count connections (so zero means none was made)."""
    with listening() as listener:
        with pytest.raises(HTTPError):
            http_get(f"http://127.0.0.1:{listener.port}/", timeout=0.5)
        assert listener.connections(wait=0.5) == 1


def test_no_query_opens_a_connection(client: TestClient) -> None:
    with listening() as listener:
        remote = f"http://127.0.0.1:{listener.port}"
        queries = (
            f"SELECT * WHERE {{ SERVICE <{remote}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{remote}/graph.ttl> WHERE {{ ?s ?p ?o }} LIMIT 1",
            f"SELECT * FROM NAMED <{remote}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        )
        for query in queries:
            for method in PROTOCOL_FORMS:
                response = protocol_request(client, method, query, "application/json")
                assert_text_error(response, 400, "refused")
        for parameter in ("default-graph-uri", "named-graph-uri"):
            dataset = client.get("/sparql", params={"query": LABEL_QUERY, parameter: remote})
            assert_text_error(dataset, 400, "refused")
        assert listener.connections(wait=1.0) == 0


def test_an_engine_failure_is_500_with_a_true_message_and_a_fresh_worker(
    client: TestClient,
) -> None:
    before = set(client.get("/health").json()["query_workers"])
    response = client.get("/sparql", params={"query": MIXED_ORDER})
    if response.status_code == 200:  # a pyoxigraph that sorts mixed values in a total order
        assert len(response.json()["results"]["bindings"]) == 21
        return
    message = assert_text_error(response, 500, "total order")
    assert "ORDER BY STR(?x)" in message
    assert "memory" not in message and "MB" not in message
    answer = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    assert answer.text.splitlines() == ["label", "BCR::ABL1"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if len(health["query_workers"]) == 1 and health["idle_query_workers"] == 1:
            break
        time.sleep(0.2)
    assert len(health["query_workers"]) == 1
    assert set(health["query_workers"]) != before, "the worker that failed was replaced"
