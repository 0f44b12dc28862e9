"""The HTTP service against a real ``pedall serve`` on loopback, for what needs a socket
and a process: a real SPARQL client (SPARQLWrapper, over urllib) in every protocol form and
format, the time limit with its killed worker while others are served, the server's own
log, and a bounded load test. Each router's answers and errors are tested in-process
(``tests/test_router_*.py``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph
import pytest
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import RDFS
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

from pedall.knowledge.base import KnowledgeBase
from service_server import RunningService, process_alive
from sparql_answers import bytes_answer, json_answer, text_of, xml_answer

PEDALL = Namespace("https://w3id.org/pedall/")
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
    bindings = json_answer(as_json)["results"]["bindings"]
    assert [row["label"]["value"] for row in bindings] == ["BCR::ABL1"]

    as_xml = xml_answer(wrapper(service, method, LABEL_QUERY, XML).query())
    assert [text_of(node.firstChild) for node in as_xml.getElementsByTagName("literal")] == [
        "BCR::ABL1"
    ]

    as_csv = bytes_answer(wrapper(service, method, LABEL_QUERY, CSV).query())
    assert as_csv.decode().splitlines() == ["label", "BCR::ABL1"]

    as_tsv = bytes_answer(wrapper(service, method, LABEL_QUERY, TSV).query())
    assert as_tsv.decode().splitlines() == ["?label", '"BCR::ABL1"@en']


@pytest.mark.parametrize("method", PROTOCOL_FORMS)
def test_ask_sees_inferred_triples(service: RunningService, method: str) -> None:
    assert json_answer(wrapper(service, method, INFERRED_ASK, JSON).query())["boolean"] is True
    as_xml = xml_answer(wrapper(service, method, INFERRED_ASK, XML).query())
    assert text_of(as_xml.getElementsByTagName("boolean")[0].firstChild) == "true"


def test_the_endpoint_holds_the_inferred_closure(
    service: RunningService, knowledge_base: KnowledgeBase
) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    count = json_answer(wrapper(service, "get", query, JSON).query())
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


# --- The time limit ------------------------------------------------------------------------


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


# --- Logs ----------------------------------------------------------------------------------


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
