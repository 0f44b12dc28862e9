"""The SPARQL endpoint to the letter, against a real ``pedall serve`` with a real client
(SPARQLWrapper, read back by rdflib's result parsers): client errors are 4xx; ASK and every
results format written exactly; literals in one canonical form; the same answers from every
worker; the inferred export without tautologies. What TestClient can ask (engine failures,
``Vary: Accept``, literals in term pages and the export, the Turtle validation report, the
versionIRI) is in ``tests/test_router_*.py``."""

from __future__ import annotations

import csv
import io
import random
import shutil
import warnings
import xml.dom.minidom
from pathlib import Path

import pytest
from rdflib import OWL, RDFS, Literal, URIRef
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
from sparql_answers import bytes_answer, text_of
from sparql_rows import select_rows

# rdflib 7.6 fails in a parse action on a negative decimal: the policy must not refuse it.
NEGATIVE_DECIMAL = "SELECT * { ?s ?p -1.0 }"
UNKNOWN_FUNCTION = "PREFIX ex: <http://example.org/> SELECT (ex:nothing(1) AS ?x) {}"
ESCAPES = (
    'SELECT (IRI("http://example.org/a,b") AS ?iri) ("line\\r\\nnext" AS ?crlf) '
    '("tab\\there\\nand a newline" AS ?tab) ("" AS ?empty) ?unbound {}'
)
ESCAPED_VALUES = ["http://example.org/a,b", "line\r\nnext", "tab\there\nand a newline", "", ""]


@pytest.fixture(scope="module")
def service(pedall_service: RunningService) -> RunningService:
    return pedall_service


def sparqlwrapper(service: RunningService, query: str, return_format: str) -> SPARQLWrapper:
    endpoint = SPARQLWrapper(service.sparql_url)
    endpoint.setQuery(query)
    endpoint.setReturnFormat(return_format)
    return endpoint


# --- client errors are 4xx ---------------------------------------------------------------------


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


def test_an_unknown_function_is_a_client_error(service: RunningService) -> None:
    with pytest.raises(QueryBadFormed, match="is not supported"):
        sparqlwrapper(service, UNKNOWN_FUNCTION, JSON).query()


# --- exact formats --------------------------------------------------------------------------


def test_ask_in_csv_and_tsv_in_the_form_jena_and_rdflib_read(service: RunningService) -> None:
    csv_body = bytes_answer(sparqlwrapper(service, "ASK {}", CSV).query())
    tsv_body = bytes_answer(sparqlwrapper(service, "ASK { ?s ?p ?o }", TSV).query())
    assert (csv_body, tsv_body) == (b"_askResult\r\ntrue\r\n", b"?_askResult\ntrue\n")
    from_csv = Result.parse(io.BytesIO(csv_body), format="csv")
    from_tsv = Result.parse(io.BytesIO(tsv_body), format="tsv")
    assert [str(name) for name in from_csv.vars or []] == ["_askResult"]
    assert [str(row[0]) for row in select_rows(from_csv)] == ["true"]
    assert [row[0] for row in select_rows(from_tsv)] == [Literal(True)]


def test_csv_quotes_an_iri_with_a_comma_and_keeps_line_ends(service: RunningService) -> None:
    body = sparqlwrapper(service, ESCAPES, CSV).query().convert()
    assert isinstance(body, bytes)
    lines = body.decode("utf-8").split("\r\n")
    assert lines[0] == "iri,crlf,tab,empty,unbound"
    assert lines[1].startswith('"http://example.org/a,b","line')
    (row,) = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))[1:]
    assert row == ESCAPED_VALUES
    parsed = Result.parse(io.BytesIO(body), format="csv")
    assert [str(value) for value in select_rows(parsed)[0]][:3] == ESCAPED_VALUES[:3]


def test_tsv_escapes_tabs_and_line_ends_in_literals(service: RunningService) -> None:
    body = sparqlwrapper(service, ESCAPES, TSV).query().convert()
    assert isinstance(body, bytes)
    header, row, end = body.decode("utf-8").split("\n")
    assert (header.split("\t"), end) == (["?iri", "?crlf", "?tab", "?empty", "?unbound"], "")
    assert "\r" not in row and len(row.split("\t")) == 5
    parsed = select_rows(Result.parse(io.BytesIO(body), format="tsv"))
    assert parsed[0][:3] == (
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
        "".join(text_of(text) for text in node.childNodes)
        for node in document.getElementsByTagName("literal")
    ]
    assert literals == ESCAPED_VALUES[1:4]
    parsed = select_rows(Result.parse(io.BytesIO(raw), format="xml"))
    assert str(parsed[0][1]) == "line\r\nnext"


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


@pytest.mark.slow  # query worker processes
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


# --- the inferred export ----------------------------------------------------------------------


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
