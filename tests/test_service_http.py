"""The HTTP service against a real ``pedall serve`` on loopback, with real clients
(SPARQLWrapper and httpx): the SPARQL 1.1 Protocol in every form and format, the safety
rules (read-only, no outbound connection, refused entity expansion, the time limit with
killed workers), linked data, the patient endpoints, logs and a bounded load test."""

from __future__ import annotations

import html
import json
import select
import socket
import threading
import time
import xml.dom.minidom
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from pedall import RESEARCH_NOTICE
from pedall.knowledge.base import KnowledgeBase
from service_server import RunningService, process_alive

PEDALL = Namespace("https://w3id.org/pedall/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
SH = Namespace("http://www.w3.org/ns/shacl#")
QUERY_TIMEOUT = 2.0  # as the pedall_service fixture (conftest.py) starts it
LABEL_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?label WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
# True only with inference: KMT2A-AFF1 is a GeneticLesion through two subclass steps.
INFERRED_ASK = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "ASK { pedall:KMT2A-AFF1 rdfs:subClassOf pedall:GeneticLesion }"
)
CONSTRUCT_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "CONSTRUCT { pedall:BCR-ABL1 rdfs:label ?label } WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
DESCRIBE_QUERY = "PREFIX pedall: <https://w3id.org/pedall/>\nDESCRIBE pedall:BCR-ABL1"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CSV_HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
    "down_syndrome\n"
)
LOW_RISK_ROW = "HTTP-LOW-1,F,4,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n"
PATIENT_TURTLE = """\
@prefix pedall: <https://w3id.org/pedall/> .
@prefix ex: <http://example.org/> .
ex:p1 a pedall:Patient ; pedall:patientId "TTL-1" ; pedall:ageYears 16 .
"""
BCR_ABL1_LABEL = (PEDALL["BCR-ABL1"], RDFS.label, Literal("BCR::ABL1", lang="en"))


@pytest.fixture(scope="module")
def service(pedall_service: RunningService) -> RunningService:
    return pedall_service


@pytest.fixture(scope="module")
def client(service: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        yield http


def parsed(body: bytes, rdf_format: pyoxigraph.RdfFormat) -> Graph:
    """An rdflib graph of a serialization (parsed by pyoxigraph, handed over as N-Triples)."""
    graph = Graph()
    triples = pyoxigraph.parse(body, format=rdf_format)
    graph.parse(
        data=pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b"",
        format="nt",
    )
    return graph


def wrapper(service: RunningService, method: str, query: str, return_format: str) -> SPARQLWrapper:
    """A SPARQLWrapper set up for one protocol form: GET, POST form or POST directly."""
    endpoint = SPARQLWrapper(service.sparql_url)
    endpoint.setQuery(query)
    endpoint.setReturnFormat(return_format)
    if method == "form":
        endpoint.setMethod(POST)
        endpoint.setRequestMethod(URLENCODED)
    elif method == "direct":
        endpoint.setMethod(POST)
        endpoint.setRequestMethod(POSTDIRECTLY)
    return endpoint


PROTOCOL_FORMS = ("get", "form", "direct")


# --- SPARQL 1.1 Protocol with SPARQLWrapper ------------------------------------------------


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
def test_select_json_xml_csv_tsv_with_sparqlwrapper(service: RunningService, method: str) -> None:
    as_json = wrapper(service, method, LABEL_QUERY, JSON).query()
    assert as_json.response.headers["Content-Type"].startswith("application/sparql-results+json")
    bindings = as_json.convert()["results"]["bindings"]
    assert [row["label"]["value"] for row in bindings] == ["BCR::ABL1"]

    as_xml = wrapper(service, method, LABEL_QUERY, XML).query().convert()
    assert isinstance(as_xml, xml.dom.minidom.Document)
    assert [node.firstChild.data for node in as_xml.getElementsByTagName("literal")] == [
        "BCR::ABL1"
    ]

    as_csv = wrapper(service, method, LABEL_QUERY, CSV).query().convert()
    assert as_csv.decode().splitlines() == ["label", "BCR::ABL1"]

    as_tsv = wrapper(service, method, LABEL_QUERY, TSV).query().convert()
    assert as_tsv.decode().splitlines() == ["?label", '"BCR::ABL1"@en']


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
def test_ask_sees_inferred_triples(service: RunningService, method: str) -> None:
    assert wrapper(service, method, INFERRED_ASK, JSON).query().convert()["boolean"] is True
    as_xml = wrapper(service, method, INFERRED_ASK, XML).query().convert()
    assert as_xml.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_the_endpoint_holds_the_inferred_closure(
    service: RunningService, knowledge_base: KnowledgeBase
) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    count = wrapper(service, "get", query, JSON).query().convert()
    triples = int(count["results"]["bindings"][0]["n"]["value"])
    assert len(knowledge_base.graph) < triples <= len(knowledge_base.inferred)


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
@pytest.mark.parametrize(
    ("return_format", "media_type", "rdf_format"),
    [
        (TURTLE, "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        (JSONLD, "application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
        (RDFXML, "application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
        (N3, "text/turtle", pyoxigraph.RdfFormat.TURTLE),
    ],
)
def test_construct_in_each_graph_format_with_sparqlwrapper(
    service: RunningService,
    method: str,
    return_format: str,
    media_type: str,
    rdf_format: pyoxigraph.RdfFormat,
) -> None:
    answer = wrapper(service, method, CONSTRUCT_QUERY, return_format).query()
    assert answer.response.headers["Content-Type"].startswith(media_type)
    graph = parsed(answer.response.read(), rdf_format)
    assert set(graph) == {BCR_ABL1_LABEL}


def test_describe_with_sparqlwrapper(service: RunningService) -> None:
    answer = wrapper(service, "get", DESCRIBE_QUERY, TURTLE).query()
    graph = parsed(answer.response.read(), pyoxigraph.RdfFormat.TURTLE)
    assert BCR_ABL1_LABEL in graph
    assert (PEDALL["BCR-ABL1"], RDFS.subClassOf, PEDALL.GeneticLesion) in graph


def test_malformed_query_is_bad_formed_for_sparqlwrapper(service: RunningService) -> None:
    with pytest.raises(QueryBadFormed, match="SPARQL syntax error"):
        wrapper(service, "get", "SELECT ?x WHERE { ?x ", JSON).query()


# --- SPARQL 1.1 Protocol with httpx --------------------------------------------------------


def protocol_request(client: httpx.Client, method: str, query: str, accept: str) -> httpx.Response:
    headers = {"Accept": accept}
    if method == "get":
        return client.get("/sparql", params={"query": query}, headers=headers)
    if method == "form":
        return client.post("/sparql", data={"query": query}, headers=headers)
    headers["Content-Type"] = "application/sparql-query"
    return client.post("/sparql", content=query.encode(), headers=headers)


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
@pytest.mark.parametrize(
    ("accept", "media_type", "check"),
    [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            lambda body: json.loads(body)["results"]["bindings"][0]["label"]["value"],
        ),
        ("application/json", "application/sparql-results+json", None),
        ("application/sparql-results+xml", "application/sparql-results+xml", None),
        ("text/csv", "text/csv", lambda body: body.decode().splitlines()[1]),
        ("text/tab-separated-values", "text/tab-separated-values", None),
        ("text/csv;q=0.4, text/tab-separated-values;q=0.9", "text/tab-separated-values", None),
        ("*/*", "application/sparql-results+json", None),
    ],
)
def test_select_negotiation_with_httpx(
    client: httpx.Client,
    method: str,
    accept: str,
    media_type: str,
    check: Callable[[bytes], str] | None,
) -> None:
    response = protocol_request(client, method, LABEL_QUERY, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert b"BCR::ABL1" in response.content
    if check is not None:
        assert check(response.content) == "BCR::ABL1"


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [
        ("text/turtle", "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", "application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
    ],
)
def test_construct_negotiation_with_httpx(
    client: httpx.Client,
    method: str,
    accept: str,
    media_type: str,
    rdf_format: pyoxigraph.RdfFormat,
) -> None:
    response = protocol_request(client, method, CONSTRUCT_QUERY, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert set(parsed(response.content, rdf_format)) == {BCR_ABL1_LABEL}


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": LABEL_QUERY, "format": "csv"}, headers={"Accept": "text/xml"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines() == ["label", "BCR::ABL1"]


def test_unacceptable_format_is_406(client: httpx.Client) -> None:
    response = protocol_request(client, "get", LABEL_QUERY, "image/png")
    assert response.status_code == 406
    assert "text/csv" in response.text


def test_service_description_with_void(client: httpx.Client, service: RunningService) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = parsed(response.content, pyoxigraph.RdfFormat.TURTLE)
    endpoint = URIRef(service.sparql_url)
    assert (endpoint, RDF.type, SD.Service) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    triples = [int(value) for value in graph.objects(None, VOID.triples)]
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) {?s ?p ?o}"})
    assert triples == [int(count.json()["results"]["bindings"][0]["n"]["value"])]
    dumps = [str(dump) for dump in graph.objects(None, VOID.dataDump)]
    assert dumps and all(client.get(dump).status_code == 200 for dump in dumps[:1])


def test_void_at_the_well_known_place(client: httpx.Client) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    graph = parsed(response.content, pyoxigraph.RdfFormat.N_TRIPLES)
    (dataset,) = graph.subjects(RDF.type, VOID.Dataset)
    assert (dataset, VOID.uriSpace, Literal(str(PEDALL))) in graph


def test_browser_asking_for_the_endpoint_is_sent_to_the_query_page(client: httpx.Client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/query")


def test_cors_for_get_only(client: httpx.Client) -> None:
    origin = {"Origin": "https://example.org"}
    read = client.get("/sparql", params={"query": LABEL_QUERY}, headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    preflight_get = client.options(
        "/sparql", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight_get.status_code == 204
    assert "GET" in preflight_get.headers["access-control-allow-methods"]
    preflight_post = client.options(
        "/classify", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight_post.status_code == 403
    posted = client.post(
        "/classify",
        content=(CSV_HEADER + LOW_RISK_ROW).encode(),
        headers={**origin, "Content-Type": "text/csv"},
    )
    assert "access-control-allow-origin" not in posted.headers


# --- Safe by default ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "expected_message"),
    [
        (
            lambda http: http.post("/sparql", data={"update": "INSERT DATA { <a:a> <a:b> 1 }"}),
            "read-only",
        ),
        (
            lambda http: http.post(
                "/sparql",
                content=b"INSERT DATA { <a:a> <a:b> 1 }",
                headers={"Content-Type": "application/sparql-update"},
            ),
            "read-only",
        ),
        (
            lambda http: http.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
            "read-only",
        ),
        (
            lambda http: http.post("/sparql", data={"query": "CLEAR ALL"}),
            "read-only",
        ),
    ],
)
def test_updates_are_refused_with_403(
    client: httpx.Client, send: Callable[[httpx.Client], httpx.Response], expected_message: str
) -> None:
    response = send(client)
    assert response.status_code == 403
    assert expected_message in response.text
    still_there = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    assert still_there.text.splitlines() == ["label", "BCR::ABL1"]


def test_malformed_query_is_400_with_the_parsers_message(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x"})
    assert response.status_code == 400
    assert "SPARQL syntax error" in response.text
    assert "Expected" in response.text


def test_post_of_another_content_type_is_415(client: httpx.Client) -> None:
    response = client.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port: int = self.socket.getsockname()[1]

    def connections(self, wait: float) -> int:
        """Accept whatever arrives within ``wait`` seconds; how many arrived."""
        count = 0
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.socket], [], [], remaining)
            if ready:
                connection, _ = self.socket.accept()
                connection.close()
                count += 1
        return count

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


def test_listener_sees_a_real_connection(listener: Listener) -> None:
    """The listener used below does count connections (so zero means none was made)."""
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{listener.port}/", timeout=0.5)
    assert listener.connections(wait=0.5) == 1


def test_nothing_a_client_sends_opens_a_connection(
    client: httpx.Client, listener: Listener
) -> None:
    remote = f"http://127.0.0.1:{listener.port}"
    service_query = f"SELECT * WHERE {{ SERVICE <{remote}/sparql> {{ ?s ?p ?o }} }}"
    from_query = f"SELECT * FROM <{remote}/graph.ttl> WHERE {{ ?s ?p ?o }} LIMIT 1"
    named_query = f"SELECT * FROM NAMED <{remote}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    for query in (service_query, from_query, named_query):
        for method in PROTOCOL_FORMS:
            response = protocol_request(client, method, query, "application/json")
            assert response.status_code == 400, (method, query)
            assert "refused" in response.text
    protocol_dataset = client.get(
        "/sparql", params={"query": LABEL_QUERY, "default-graph-uri": f"{remote}/g"}
    )
    assert protocol_dataset.status_code == 400
    remote_context = json.dumps(
        {
            "@context": f"{remote}/context.jsonld",
            "@id": "http://example.org/p1",
            "@type": "https://w3id.org/pedall/Patient",
        }
    )
    refused_context = client.post(
        "/classify",
        content=remote_context.encode(),
        headers={"Content-Type": "application/ld+json"},
    )
    assert refused_context.status_code == 400
    assert "remote JSON-LD context" in refused_context.json()["message"]
    external_entity = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [<!ENTITY remote SYSTEM "{remote}/entity">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&remote;</rdf:RDF>'
    )
    refused_entity = client.post(
        "/validate",
        content=external_entity.encode(),
        headers={"Content-Type": "application/rdf+xml"},
    )
    assert refused_entity.status_code == 400
    assert listener.connections(wait=1.0) == 0


def test_entity_expansion_rdfxml_is_refused_before_parsing(client: httpx.Client) -> None:
    levels = ['<!ENTITY e0 "ha">'] + [
        f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(levels) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:pedall="https://w3id.org/pedall/">'
        '<pedall:Patient rdf:about="http://example.org/p"><pedall:patientId>&e9;'
        "</pedall:patientId></pedall:Patient></rdf:RDF>"
    )
    started = time.monotonic()
    response = client.post(
        "/classify", content=bomb.encode(), headers={"Content-Type": "application/rdf+xml"}
    )
    assert response.status_code == 400
    assert "DOCTYPE refused" in response.json()["message"]
    assert time.monotonic() - started < 5


def test_request_bodies_are_bounded(client: httpx.Client) -> None:
    large = b"x" * 1_000_001
    for path, content_type in (
        ("/sparql", "application/sparql-query"),
        ("/classify", "text/csv"),
        ("/validate", "text/csv"),
    ):
        response = client.post(path, content=large, headers={"Content-Type": content_type})
        assert response.status_code == 413, path

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 100_000

    chunked = client.post("/classify", content=chunks(), headers={"Content-Type": "text/csv"})
    assert chunked.status_code == 413


def test_slow_query_gets_503_and_is_stopped_while_others_are_served(
    service: RunningService, client: httpx.Client
) -> None:
    workers_before = set(client.get("/health").json()["query_workers"])
    assert len(workers_before) == 2
    slow_answer: dict[str, object] = {}

    def run_slow() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=service.base_url, timeout=30) as other:
            response = other.get("/sparql", params={"query": SLOW_QUERY})
        slow_answer.update(
            status=response.status_code, text=response.text, seconds=time.monotonic() - started
        )

    slow = threading.Thread(target=run_slow)
    slow.start()
    time.sleep(0.5)  # the slow query is running on one worker now
    started = time.monotonic()
    fast = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    fast_seconds = time.monotonic() - started
    slow.join(timeout=30)

    assert fast.status_code == 200
    assert fast.text.splitlines() == ["label", "BCR::ABL1"]
    assert fast_seconds < 1.0
    assert slow_answer["status"] == 503
    assert "time limit" in str(slow_answer["text"])
    assert QUERY_TIMEOUT <= float(str(slow_answer["seconds"])) < QUERY_TIMEOUT + 5
    killed = [pid for pid in workers_before if not process_alive(pid)]
    assert len(killed) == 1, "the worker that ran the slow query was killed"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if len(health["query_workers"]) == 2 and health["idle_query_workers"] == 2:
            break
        time.sleep(0.2)
    assert len(set(health["query_workers"]) - workers_before) == 1, "a new worker took its place"
    again = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    assert again.text.splitlines() == ["label", "BCR::ABL1"]


# --- Linked data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [
        ("text/turtle", "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", "application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
        ("*/*", "text/turtle", pyoxigraph.RdfFormat.TURTLE),
    ],
)
def test_terms_dereference_as_rdf(
    client: httpx.Client,
    knowledge_base: KnowledgeBase,
    accept: str,
    media_type: str,
    rdf_format: pyoxigraph.RdfFormat,
) -> None:
    response = client.get("/id/KMT2A-AFF1", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = parsed(response.content, rdf_format)
    term = PEDALL["KMT2A-AFF1"]
    asserted = {
        (predicate, obj)
        for predicate, obj in knowledge_base.graph.predicate_objects(term)
        if isinstance(obj, (URIRef, Literal))
    }
    assert asserted and asserted <= set(graph.predicate_objects(term))


def test_term_with_inferred_triples(client: httpx.Client) -> None:
    plain = parsed(client.get("/id/KMT2A-AFF1?format=ttl").content, pyoxigraph.RdfFormat.TURTLE)
    inferred = parsed(
        client.get("/id/KMT2A-AFF1?format=ttl&inferred=true").content, pyoxigraph.RdfFormat.TURTLE
    )
    lesion = (PEDALL["KMT2A-AFF1"], RDFS.subClassOf, PEDALL.GeneticLesion)
    assert lesion not in plain
    assert lesion in inferred


def test_term_page_for_a_browser(client: httpx.Client, knowledge_base: KnowledgeBase) -> None:
    response = client.get("/id/BCR-ABL1", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    definition = knowledge_base.graph.value(PEDALL["BCR-ABL1"], URIRef(str(SKOS_DEFINITION)))
    assert definition is not None and str(definition) in page
    assert RESEARCH_NOTICE in page
    assert "https://doi.org/10.3345/kjp.2017.60.5.129" in page
    assert 'href="/id/gene-BCR"' in page


SKOS_DEFINITION = URIRef("http://www.w3.org/2004/02/skos/core#definition")
SKOS_EXACT_MATCH = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")


def test_term_pages_show_mappings_and_evidence(
    client: httpx.Client, knowledge_base: KnowledgeBase
) -> None:
    graph = knowledge_base.graph
    mapped = sorted(
        (subject, target)
        for subject, target in graph.subject_objects(SKOS_EXACT_MATCH)
        if str(subject).startswith(str(PEDALL))
    )
    about = sorted(
        (subject, statement)
        for statement, subject in graph.subject_objects(PEDALL.about)
        if str(subject).startswith(str(PEDALL)) and graph.value(statement, PEDALL.statement)
    )
    assert mapped and about
    for term, target in mapped[:3]:
        page = client.get(f"/id/{str(term)[len(str(PEDALL)) :]}", headers={"Accept": "text/html"})
        assert f'href="{target}"' in page.text
    for term, statement in about[:3]:
        page = client.get(f"/id/{str(term)[len(str(PEDALL)) :]}", headers={"Accept": "text/html"})
        assert html.escape(str(graph.value(statement, PEDALL.statement))) in page.text


def test_shape_terms_dereference_too(client: httpx.Client) -> None:
    criterion = parsed(
        client.get("/id/CMCP-ALL2008-high-kmt2a?format=ttl").content, pyoxigraph.RdfFormat.TURTLE
    )
    shape = criterion.value(PEDALL["CMCP-ALL2008-high-kmt2a"], PEDALL.condition)
    assert shape is not None and str(shape).startswith(str(PEDALL))
    local = str(shape)[len(str(PEDALL)) :]
    assert client.get(f"/id/{local}", headers={"Accept": "text/turtle"}).status_code == 200


def test_unknown_term_is_404(client: httpx.Client) -> None:
    for accept in ("text/turtle", "text/html"):
        assert client.get("/id/NoSuchLesion", headers={"Accept": accept}).status_code == 404
    assert client.head("/id/NoSuchLesion").status_code == 404


def test_head_of_a_term_and_a_download(client: httpx.Client) -> None:
    term = client.head("/id/BCR-ABL1", headers={"Accept": "application/ld+json"})
    assert term.status_code == 200
    assert term.headers["content-type"].startswith("application/ld+json")
    assert term.content == b""
    assert client.head("/graph.nt").status_code == 200


@pytest.mark.parametrize(
    ("extension", "rdf_format"),
    [
        ("ttl", pyoxigraph.RdfFormat.TURTLE),
        ("jsonld", pyoxigraph.RdfFormat.JSON_LD),
        ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
        ("rdf", pyoxigraph.RdfFormat.RDF_XML),
    ],
)
def test_whole_graph_downloads(
    client: httpx.Client, extension: str, rdf_format: pyoxigraph.RdfFormat
) -> None:
    asserted = parsed(client.get(f"/graph.{extension}").content, rdf_format)
    with_inferred = parsed(client.get(f"/graph.{extension}?inferred=true").content, rdf_format)
    lesion = (PEDALL["KMT2A-AFF1"], RDFS.subClassOf, PEDALL.GeneticLesion)
    assert BCR_ABL1_LABEL in asserted
    assert lesion not in asserted
    assert lesion in with_inferred
    assert len(asserted) < len(with_inferred)


@pytest.mark.parametrize(
    ("format_name", "extension"),
    [("ttl", "ttl"), ("jsonld", "jsonld"), ("nt", "nt"), ("xml", "rdf")],
)
def test_download_by_format_parameter(
    client: httpx.Client, format_name: str, extension: str
) -> None:
    for inferred in ("false", "true"):
        download = client.get("/download", params={"format": format_name, "inferred": inferred})
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        same = client.get(f"/graph.{extension}", params={"inferred": inferred})
        assert download.content == same.content
        assert download.headers["content-type"] == same.headers["content-type"]


def test_unknown_download_format(client: httpx.Client) -> None:
    assert client.get("/graph.docx").status_code == 404
    assert client.get("/download?format=docx").status_code == 400


# --- Patients -------------------------------------------------------------------------------


def test_classify_csv(client: httpx.Client) -> None:
    response = client.post(
        "/classify",
        content=(CSV_HEADER + LOW_RISK_ROW).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert answer["errors"] == []
    (result,) = answer["results"]
    assert result["patient_id"] == "HTTP-LOW-1"
    assert result["risk_group"] == "low"
    assert result["provisional"] is False
    assert {criterion["group"] for criterion in result["criteria"]} == {"low"}
    assert all(criterion["sources"] for criterion in result["criteria"])
    assert answer["notice"] == RESEARCH_NOTICE


def test_classify_matches_the_library_api(
    client: httpx.Client, knowledge_base: KnowledgeBase
) -> None:
    from pedall.api import classify_input

    table = Path(__file__).parents[1] / "examples" / "patients.csv"
    payload = table.read_bytes()
    response = client.post("/classify", content=payload, headers={"Content-Type": "text/csv"})
    expected = classify_input(knowledge_base, payload, "text/csv", source="<request>").as_json()
    assert {key: value for key, value in response.json().items() if key != "notice"} == expected


def test_classify_turtle_json_ld_and_rdfxml(client: httpx.Client) -> None:
    graph = Graph().parse(data=PATIENT_TURTLE, format="turtle")
    bodies = {
        "text/turtle": PATIENT_TURTLE.encode(),
        "application/ld+json": pyoxigraph.serialize(
            pyoxigraph.parse(PATIENT_TURTLE.encode(), format=pyoxigraph.RdfFormat.TURTLE),
            format=pyoxigraph.RdfFormat.JSON_LD,
        )
        or b"",
        "application/rdf+xml": graph.serialize(format="xml", encoding="utf-8"),
    }
    for content_type, body in bodies.items():
        response = client.post("/classify", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 200, (content_type, response.text)
        (result,) = response.json()["results"]
        assert (result["patient_id"], result["risk_group"]) == ("TTL-1", "very-high")


def test_bad_cells_are_422_with_located_errors(client: httpx.Client) -> None:
    bad_row = "HTTP-BAD-1,F,four,12000,B,CNS1,false,200,0.005,true,46,,false\n"
    response = client.post(
        "/classify",
        content=(CSV_HEADER + LOW_RISK_ROW + bad_row).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    answer = response.json()
    (error,) = answer["errors"]
    assert (error["line"], error["column"], error["value"]) == (3, "age_years", "four")
    assert [result["patient_id"] for result in answer["results"]] == ["HTTP-LOW-1"]


def test_unreadable_input_is_400(client: httpx.Client) -> None:
    for path in ("/classify", "/validate"):
        broken = client.post(
            path, content=b"ex:p1 a pedall:Patient", headers={"Content-Type": "text/turtle"}
        )
        assert broken.status_code == 400
        assert broken.json()["message"]
        not_utf8 = client.post(path, content=b"\xff\xfe\x00x", headers={"Content-Type": "text/csv"})
        assert not_utf8.status_code == 400


def test_unsupported_patient_media_type_is_415(client: httpx.Client) -> None:
    response = client.post(
        "/classify", content=b"%PDF", headers={"Content-Type": "application/pdf"}
    )
    assert response.status_code == 415
    assert "text/csv" in response.json()["message"]


def test_validate_json_and_shacl_report(client: httpx.Client) -> None:
    good = client.post(
        "/validate",
        content=(CSV_HEADER + LOW_RISK_ROW).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert good.status_code == 200
    assert good.json()["conforms"] is True
    bad_csv = b"patient_id,age_years\nHTTP-NEG-1,-2\n"
    bad = client.post("/validate", content=bad_csv, headers={"Content-Type": "text/csv"})
    assert bad.status_code == 422
    assert bad.json()["conforms"] is False
    report = client.post(
        "/validate",
        content=bad_csv,
        headers={"Content-Type": "text/csv", "Accept": "text/turtle"},
    )
    assert report.status_code == 422
    assert report.headers["content-type"].startswith("text/turtle")
    graph = parsed(report.content, pyoxigraph.RdfFormat.TURTLE)
    reports = list(graph.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert (reports[0], SH.conforms, Literal(False)) in graph


# --- Pages, health, docs, logs ---------------------------------------------------------------


def test_pages_and_their_assets_are_served_locally(client: httpx.Client) -> None:
    for path in ("/", "/calculator", "/query", "/terms", "/docs"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert RESEARCH_NOTICE in page.text
        assert "//cdn" not in page.text and "unpkg" not in page.text and "jsdelivr" not in page.text
    calculator = client.get("/calculator").text
    for asset in ("/static/pedall.css", "/static/calculator.js"):
        assert asset in calculator
        assert client.get(asset).status_code == 200


def test_query_page_offers_the_library(client: httpx.Client) -> None:
    from pedall.knowledge.data_files import DataFiles
    from pedall.query.library import load_library

    page = client.get("/query").text
    for query in load_library(DataFiles.default()):
        assert f'data-query="{query.name}"' in page


def test_health_and_openapi(client: httpx.Client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["query_timeout_seconds"] == QUERY_TIMEOUT
    schema = client.get("/openapi.json").json()
    for path in ("/sparql", "/classify", "/validate", "/id/{name}", "/health"):
        assert path in schema["paths"]
    assert client.get("/redoc").status_code == 404


def test_access_log_has_no_bodies_or_query_strings(
    client: httpx.Client, service: RunningService
) -> None:
    marker = "ZETA4711"
    row = f"{marker},F,4,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n"
    client.post(
        "/classify", content=(CSV_HEADER + row).encode(), headers={"Content-Type": "text/csv"}
    )
    client.get("/sparql", params={"query": f'ASK {{ ?s ?p "{marker}" }}'})
    client.get("/health")
    time.sleep(0.3)
    log = service.log_text()
    assert marker not in log
    records = [
        json.loads(line[line.index("{") :]) for line in log.splitlines() if '"method"' in line
    ]
    classify = [record for record in records if record["path"] == "/classify"]
    assert classify and set(classify[-1]) == {"method", "path", "status", "duration_ms"}
    assert any(record["path"] == "/sparql" and record["status"] == 200 for record in records)


# --- Load -------------------------------------------------------------------------------------


def test_bounded_load_on_loopback_has_no_errors(service: RunningService) -> None:
    clients, requests_each = 16, 125  # 2,000 requests
    csv_body = (CSV_HEADER + LOW_RISK_ROW).encode()

    def one_client(number: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=service.base_url, timeout=30) as http:
            for index in range(requests_each):
                kind = (number + index) % 4
                if kind == 0:
                    response = http.get("/sparql", params={"query": LABEL_QUERY})
                elif kind == 1:
                    response = http.get("/id/BCR-ABL1", headers={"Accept": "text/turtle"})
                elif kind == 2:
                    response = http.post(
                        "/classify", content=csv_body, headers={"Content-Type": "text/csv"}
                    )
                else:
                    response = http.get("/health")
                statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = [status for result in pool.map(one_client, range(clients)) for status in result]
    assert len(statuses) == clients * requests_each
    assert [status for status in statuses if status != 200] == []
