"""The SPARQL endpoint and linked data to the letter, against a real ``pedall serve`` with
real clients (SPARQLWrapper, rdflib's result parsers, httpx): client errors are 4xx and
engine failures 500 with a true message; ASK and every results format written exactly;
``Vary: Accept`` on negotiated answers; literals in one canonical form in the endpoint,
the export and the term pages; the same answers from every worker; the Turtle validation
report agreeing with the status; the inferred export without tautologies; the versionIRI
dereferencing."""

from __future__ import annotations

import csv
import io
import random
import shutil
import time
import warnings
import xml.dom.minidom
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from pedall.errors import ForbiddenQueryError, ReadOnlyError
from pedall.knowledge.base import KnowledgeBase
from pedall.query.canonical_literals import XSD as XSD_IRI
from pedall.query.canonical_literals import canonical_lexical
from pedall.query.export import export_graph, is_tautology
from pedall.query.library import load_library
from pedall.query.policy import QueryForm, check_query
from pedall.service.query_workers import QueryRequest, QueryWorkerPool
from service_server import RunningService

# rdflib 7.6 fails in a parse action on a negative decimal: the policy must not refuse it.
NEGATIVE_DECIMAL = "SELECT * { ?s ?p -1.0 }"
UNKNOWN_FUNCTION = "PREFIX ex: <http://example.org/> SELECT (ex:nothing(1) AS ?x) {}"
# 21 numbers and numeric strings: pyoxigraph's ORDER BY compares them in no total order,
# and Rust's sort aborts the process (a panic pyoxigraph is built to abort on).
MIXED_ORDER = (
    'SELECT ?o { VALUES ?o { "1" 1 26 22 11 17 "3" 2 "13" 27 "8" "19" 4 23 "9" 9 "12" "11" '
    '"10" "21" 18 } } ORDER BY DESC(?o)'
)
LABEL_QUERY = (
    "PREFIX pedall: <https://w3id.org/pedall/>\n"
    "SELECT ?label WHERE { pedall:BCR-ABL1 rdfs:label ?label }"
)
ESCAPES = (
    'SELECT (IRI("http://example.org/a,b") AS ?iri) ("line\\r\\nnext" AS ?crlf) '
    '("tab\\there\\nand a newline" AS ?tab) ("" AS ?empty) ?unbound {}'
)
ESCAPED_VALUES = ["http://example.org/a,b", "line\r\nnext", "tab\there\nand a newline", "", ""]
CSV_HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
    "down_syndrome\n"
)


@pytest.fixture(scope="module")
def service(pedall_service: RunningService) -> RunningService:
    return pedall_service


@pytest.fixture(scope="module")
def client(service: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, timeout=60) as http:
        yield http


def sparqlwrapper(service: RunningService, query: str, return_format: str) -> SPARQLWrapper:
    endpoint = SPARQLWrapper(service.sparql_url)
    endpoint.setQuery(query)
    endpoint.setReturnFormat(return_format)
    return endpoint


def version_name(knowledge_base: KnowledgeBase) -> str:
    version = knowledge_base.graph.value(URIRef("https://w3id.org/pedall/ontology"), OWL.versionIRI)
    assert isinstance(version, URIRef)
    return str(version).rsplit("/", 1)[-1]


# --- client errors are 4xx, engine failures 500 ---------------------------------------------


def test_a_negative_decimal_is_answered(service: RunningService) -> None:
    answer = sparqlwrapper(service, NEGATIVE_DECIMAL, JSON).query().convert()
    assert isinstance(answer, dict)
    assert sorted(answer["head"]["vars"]) == ["p", "s"] and answer["results"]["bindings"] == []


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (
            "SELECT * { ?s ?p -1.0 . SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
            ForbiddenQueryError,
        ),
        ("SELECT * FROM <http://127.0.0.1:9/g> { ?s ?p -1.0 }", ForbiddenQueryError),
        ("SELECT * { ?s ?p -1.0 # x\rSERVICE <http://127.0.0.1:9/> { } }", ForbiddenQueryError),
        ("INSERT DATA { <a:a> <a:b> -1.0 }", ReadOnlyError),
        ("DELETE WHERE { ?s ?p -1.0 }", ReadOnlyError),
    ],
)
def test_what_rdflib_cannot_parse_is_still_checked(
    text: str, refusal: type[ForbiddenQueryError]
) -> None:
    # The text rdflib's parser fails on is read by its tokens: SERVICE, FROM, updates.
    with pytest.raises(refusal):
        check_query(text)
    assert check_query("ASK { ?s ?p -2.5 }").form is QueryForm.ASK


def test_an_unknown_function_is_a_client_error(
    service: RunningService, client: httpx.Client
) -> None:
    with pytest.raises(QueryBadFormed, match="is not supported"):
        sparqlwrapper(service, UNKNOWN_FUNCTION, JSON).query()
    response = client.get("/sparql", params={"query": UNKNOWN_FUNCTION})
    assert response.status_code == 400
    assert "<http://example.org/nothing>" in response.text


def test_an_engine_failure_is_500_with_a_true_message_and_a_fresh_worker(
    client: httpx.Client,
) -> None:
    before = set(client.get("/health").json()["query_workers"])
    response = client.get("/sparql", params={"query": MIXED_ORDER})
    if response.status_code == 200:  # a pyoxigraph that sorts mixed values in a total order
        assert len(response.json()["results"]["bindings"]) == 21
        return
    assert response.status_code == 500
    assert "total order" in response.text and "ORDER BY STR(?x)" in response.text
    assert "memory" not in response.text and "MB" not in response.text
    answer = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"})
    assert answer.text.splitlines() == ["label", "BCR::ABL1"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if len(health["query_workers"]) == 2 and health["idle_query_workers"] == 2:
            break
        time.sleep(0.2)
    assert len(health["query_workers"]) == 2
    assert set(health["query_workers"]) != before, "the worker that failed was replaced"


# --- exact formats --------------------------------------------------------------------------


def test_ask_in_csv_and_tsv_in_the_form_jena_and_rdflib_read(service: RunningService) -> None:
    csv_body = sparqlwrapper(service, "ASK {}", CSV).query().convert()
    tsv_body = sparqlwrapper(service, "ASK { ?s ?p ?o }", TSV).query().convert()
    assert (csv_body, tsv_body) == (b"_askResult\r\ntrue\r\n", b"?_askResult\ntrue\n")
    from_csv = Result.parse(io.BytesIO(csv_body), format="csv")
    from_tsv = Result.parse(io.BytesIO(tsv_body), format="tsv")
    assert [str(name) for name in from_csv.vars or []] == ["_askResult"]
    assert [str(row[0]) for row in from_csv] == ["true"]  # type: ignore[index]
    assert [row[0] for row in from_tsv] == [Literal(True)]  # type: ignore[index]


def test_csv_quotes_an_iri_with_a_comma_and_keeps_line_ends(service: RunningService) -> None:
    body = sparqlwrapper(service, ESCAPES, CSV).query().convert()
    assert isinstance(body, bytes)
    lines = body.decode("utf-8").split("\r\n")
    assert lines[0] == "iri,crlf,tab,empty,unbound"
    assert lines[1].startswith('"http://example.org/a,b","line')
    (row,) = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))[1:]
    assert row == ESCAPED_VALUES
    parsed = Result.parse(io.BytesIO(body), format="csv")
    assert [str(value) for value in next(iter(parsed))][:3] == ESCAPED_VALUES[:3]  # type: ignore[call-overload]


def test_tsv_escapes_tabs_and_line_ends_in_literals(service: RunningService) -> None:
    body = sparqlwrapper(service, ESCAPES, TSV).query().convert()
    assert isinstance(body, bytes)
    header, row, end = body.decode("utf-8").split("\n")
    assert (header.split("\t"), end) == (["?iri", "?crlf", "?tab", "?empty", "?unbound"], "")
    assert "\r" not in row and len(row.split("\t")) == 5
    parsed = list(Result.parse(io.BytesIO(body), format="tsv"))
    assert parsed[0][:3] == (  # type: ignore[index]
        URIRef(ESCAPED_VALUES[0]),
        Literal(ESCAPED_VALUES[1]),
        Literal(ESCAPED_VALUES[2]),
    )


def test_xml_writes_a_carriage_return_as_a_character_reference(service: RunningService) -> None:
    endpoint = sparqlwrapper(service, ESCAPES, XML)
    raw = endpoint.query().response.read()
    assert b"\r" not in raw and b"line&#xD;\nnext" in raw
    document = xml.dom.minidom.parseString(raw)
    literals = [
        "".join(text.data for text in node.childNodes)
        for node in document.getElementsByTagName("literal")
    ]
    assert literals == ESCAPED_VALUES[1:4]
    parsed = list(Result.parse(io.BytesIO(raw), format="xml"))
    assert str(parsed[0][1]) == "line\r\nnext"  # type: ignore[index]


def test_vary_accept_on_every_negotiated_answer(
    client: httpx.Client, knowledge_base: KnowledgeBase
) -> None:
    version = version_name(knowledge_base)
    requests = [
        ("/sparql", {"query": LABEL_QUERY}, "text/csv"),
        ("/sparql", {}, "text/turtle"),  # the service description
        ("/sparql", {}, "image/png"),  # 406
        ("/sparql", {}, "text/html"),  # 303 to the query page
        ("/sparql", {"query": LABEL_QUERY}, "image/png"),  # 406 from a worker
        ("/.well-known/void", {}, "application/n-triples"),
        ("/.well-known/void", {}, "image/png"),  # 406
        ("/id/BCR-ABL1", {}, "text/html"),
        ("/id/BCR-ABL1", {}, "text/turtle"),
        ("/id/BCR-ABL1", {}, "image/png"),  # 406
        ("/ontology", {}, "text/turtle"),
        (f"/ontology/{version}", {}, "text/turtle"),
        (f"/id/ontology/{version}", {}, "text/turtle"),  # 303 to the version
    ]
    for path, params, accept in requests:
        response = client.get(path, params=params, headers={"Accept": accept})
        assert response.status_code in (200, 303, 406), (path, accept, response.status_code)
        assert "Accept" in response.headers.get("vary", ""), (path, accept)


def test_literals_in_one_canonical_form_in_endpoint_export_and_term_pages(
    client: httpx.Client,
) -> None:
    query = (
        "PREFIX pedall: <https://w3id.org/pedall/>\n"
        "SELECT ?figure ?value WHERE { ?figure pedall:value ?value "
        "FILTER(DATATYPE(?value) = xsd:decimal && ?value = ROUND(?value)) } "
        "ORDER BY ?figure LIMIT 1"
    )
    binding = client.get("/sparql", params={"query": query}).json()["results"]["bindings"][0]
    figure, lexical = binding["figure"]["value"], binding["value"]["value"]
    assert lexical.endswith(".0"), lexical  # "50.0", as Turtle writes it, never "50"
    written = f'"{lexical}"^^<{XSD.decimal}>'
    term = client.get(f"/id/{figure.rsplit('/', 1)[-1]}", params={"format": "nt"}).text
    assert f"<https://w3id.org/pedall/value> {written} ." in term
    export = client.get("/graph.nt").text
    assert f"<{figure}> <https://w3id.org/pedall/value> {written} ." in export
    computed = client.get("/sparql", params={"query": "SELECT (2.0 * 3 AS ?x) (1E2 AS ?y) {}"})
    values = computed.json()["results"]["bindings"][0]
    assert (values["x"]["value"], values["y"]["value"]) == ("6.0", "1.0E2")


@pytest.mark.parametrize(
    ("lexical", "datatype", "canonical"),
    [
        ("52", "decimal", "52.0"),
        ("52.000", "decimal", "52.0"),
        ("007.50", "decimal", "7.5"),
        ("-0.0", "decimal", "0.0"),
        (".5", "decimal", "0.5"),
        ("+3", "decimal", "3.0"),
        ("1e2", "decimal", "1e2"),  # not a decimal: left as written
        ("+05", "integer", "5"),
        ("-0", "integer", "0"),
        ("010", "nonNegativeInteger", "10"),
        ("100", "double", "1.0E2"),
        ("0.00000015", "double", "1.5E-7"),
        ("-0", "double", "-0.0E0"),
        ("INF", "double", "INF"),
        ("0.1", "float", "1.0E-1"),
        ("1e39", "float", "INF"),
        ("1", "boolean", "true"),
        ("0", "boolean", "false"),
        ("yes", "boolean", "yes"),
        ("2020-01-01", "date", "2020-01-01"),
    ],
)
def test_canonical_forms_of_xml_schema_1_0(lexical: str, datatype: str, canonical: str) -> None:
    assert canonical_lexical(lexical, XSD_IRI + datatype) == canonical


# --- the same answer from every worker -------------------------------------------------------


def test_library_answers_and_blank_node_labels_are_the_same_in_every_worker(
    knowledge_base: KnowledgeBase,
) -> None:
    lines = knowledge_base.inferred_ntriples().splitlines(keepends=True)
    shuffled = lines[:]
    random.Random(2017).shuffle(shuffled)
    blank_nodes = QueryRequest(
        "SELECT ?node ?p ?o WHERE { ?node ?p ?o FILTER isBlank(?node) } ORDER BY ?node ?p ?o",
        "text/csv",
        None,
    )
    requests = [QueryRequest(q.text, None, None) for q in load_library(knowledge_base.files)]
    requests.append(blank_nodes)
    answers = []
    for ntriples in (b"".join(lines), b"".join(shuffled)):
        pool = QueryWorkerPool(ntriples, size=1, timeout=60)
        pool.start()
        try:
            answers.append([pool.answer(request).body for request in requests])
        finally:
            pool.close()
    assert answers[0] == answers[1]
    assert b"_:c14n" in answers[0][-1]  # canonical labels, the same in every run


# --- validation report, inferred export, versionIRI ----------------------------------------


@pytest.mark.parametrize(
    ("row", "status", "conforms"),
    [
        ("VR-OK,F,4,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 200, True),
        ("VR-WARN,F,4,150,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 200, True),
        ("VR-BAD,F,seven,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 422, False),
    ],
)
def test_turtle_validation_report_agrees_with_the_status(
    client: httpx.Client, row: str, status: int, conforms: bool
) -> None:
    response = client.post(
        "/validate",
        content=(CSV_HEADER + row).encode(),
        headers={"Content-Type": "text/csv", "Accept": "text/turtle"},
    )
    assert response.status_code == status
    report = Graph().parse(data=response.text, format="turtle")
    assert list(report.objects(None, SH.conforms)) == [Literal(conforms)]
    warnings_reported = client.post(
        "/validate", content=(CSV_HEADER + row).encode(), headers={"Content-Type": "text/csv"}
    ).json()
    assert warnings_reported["conforms"] is conforms
    if not conforms:
        (comment,) = report.objects(None, RDFS.comment)
        assert "reading the input" in comment


def test_inferred_export_has_no_tautologies(knowledge_base: KnowledgeBase) -> None:
    inferred = export_graph(knowledge_base, inferred=True)
    asserted = export_graph(knowledge_base)
    added = set(inferred) - set(asserted)
    assert added, "the closure still adds what inference finds"
    assert not [t for t in added if is_tautology(*t)]
    assert not [s for s, o in inferred.subject_objects(OWL.sameAs) if s == o]
    assert (OWL.Nothing, RDFS.subClassOf, OWL.Nothing) not in inferred
    kmt2a = URIRef("https://w3id.org/pedall/KMT2A-AFF1")
    assert (kmt2a, RDFS.subClassOf, URIRef("https://w3id.org/pedall/GeneticLesion")) in added


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")
def test_inferred_export_is_accepted_by_hermit(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "pedall-inferred.nt"
    merged = export_graph(knowledge_base, inferred=True)
    merged.remove((None, OWL.imports, None))  # every module is in the export already
    path.write_bytes(merged.serialize(format="nt", encoding="utf-8"))
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        owlready2.sync_reasoner(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []


def test_the_version_iri_dereferences(client: httpx.Client, knowledge_base: KnowledgeBase) -> None:
    version = version_name(knowledge_base)
    response = client.get(f"/ontology/{version}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph()
    graph.parse(
        data=pyoxigraph.serialize(
            pyoxigraph.parse(response.content, format=pyoxigraph.RdfFormat.TURTLE),
            format=pyoxigraph.RdfFormat.N_TRIPLES,
        ),
        format="nt",
    )
    ontology = URIRef("https://w3id.org/pedall/ontology")
    assert (ontology, RDF.type, OWL.Ontology) in graph
    assert (ontology, OWL.versionIRI, URIRef(f"{ontology}/{version}")) in graph
    redirect = client.get(f"/id/ontology/{version}", headers={"Accept": "text/turtle"})
    assert redirect.status_code == 303
    assert redirect.headers["location"].endswith(f"/ontology/{version}")
    assert client.get("/ontology/1999-01-01").status_code == 404
    module = client.get(f"/id/ontology/lesions/{version}", headers={"Accept": "text/turtle"})
    assert module.status_code == 303 and module.headers["location"] == "/id/ontology/lesions"
