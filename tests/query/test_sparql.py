"""pedall.query.sparql: the query policy, running queries on pyoxigraph, result serializations."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.sparql.parser import parseQuery

from pedall.errors import ForbiddenQueryError, QueryError, QuerySyntaxError, ReadOnlyError
from pedall.query.policy import keyword_outside_literals, parse_tree_names
from pedall.query.sparql import (
    GRAPH_MEDIA_TYPES,
    RESULTS_MEDIA_TYPES,
    QueryForm,
    QueryPolicy,
    Term,
    binding_term,
    build_store,
    check_query,
    compact_term,
    run_query,
    serialize_result,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
TOY = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:imatinib rdfs:label "imatinib"@en ; ex:dose "340 mg/m2/day" ; ex:rank 2 .
ex:dasatinib rdfs:label "dasatinib"@en ; ex:note "tab\\there, \\"quoted\\"\\nnew line" .
ex:BCR-ABL1 ex:targetedBy ex:imatinib , ex:dasatinib ; ex:gene [ rdfs:label "BCR" ] .
"""


@pytest.fixture
def toy_store(make_graph: Callable[[str], Graph]) -> pyoxigraph.Store:
    return build_store(make_graph(TOY))


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", QueryForm.SELECT),
        ("PREFIX ex: <http://example.org/> ASK { ex:a ?p ?o }", QueryForm.ASK),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", QueryForm.CONSTRUCT),
        ("DESCRIBE <http://example.org/a>", QueryForm.DESCRIBE),
        ("# a comment\nselect ?s where { ?s ?p ?o } limit 1", QueryForm.SELECT),
    ],
)
def test_check_query_classifies_the_form(text: str, form: QueryForm) -> None:
    assert check_query(text).form is form


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "DROP ALL",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR DEFAULT",
    ],
)
def test_updates_are_refused(text: str) -> None:
    with pytest.raises(ReadOnlyError, match="read-only") as refusal:
        check_query(text)
    assert isinstance(refusal.value, ForbiddenQueryError)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
        "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
        "ASK { OPTIONAL { service <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    ],
)
def test_service_is_refused_wherever_it_hides(text: str) -> None:
    with pytest.raises(ForbiddenQueryError, match="SERVICE"):
        check_query(text)
    # Each of the two defences sees it on its own.
    assert "ServiceGraphPattern" in parse_tree_names(parseQuery(text))
    assert keyword_outside_literals(text, "SERVICE")


def test_service_written_with_codepoint_escapes_is_refused() -> None:
    # rdflib applies the escape and parses a SERVICE pattern; the token scan must agree.
    text = r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    with pytest.raises(ForbiddenQueryError, match="SERVICE"):
        check_query(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://127.0.0.1:9/data.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "CONSTRUCT { ?s ?p ?o } FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }",
        "ASK FROM <http://127.0.0.1:9/x> { ?s ?p ?o }",
        "DESCRIBE ?s FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }",
    ],
)
def test_from_clauses_are_refused(text: str) -> None:
    with pytest.raises(ForbiddenQueryError, match="FROM"):
        check_query(text)
    assert "datasetClause" in parseQuery(text)[1]
    assert keyword_outside_literals(text, "FROM")


def test_keywords_in_comments_strings_and_names_are_not_refused(
    toy_store: pyoxigraph.Store,
) -> None:
    text = """
    PREFIX service: <http://example.org/>
    # SERVICE <http://127.0.0.1:9/> and FROM <http://127.0.0.1:9/> in a comment
    SELECT ?service ?from WHERE {
      ?service service:note ?from .
      FILTER(?from != "SERVICE <http://127.0.0.1:9/> FROM <x>")
      FILTER(?from != '''FROM NAMED <x>''')
    }
    """
    result = run_query(toy_store, text)
    assert result.column("service") == ["http://example.org/dasatinib"]


def test_repeated_checks_agree_and_refusals_repeat() -> None:
    text = "ASK { ?s ?p ?o }"
    assert check_query(text) == check_query(text)
    forbidden = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    for _ in range(2):
        with pytest.raises(ForbiddenQueryError):
            check_query(forbidden)


def test_syntax_error_carries_the_parser_message() -> None:
    with pytest.raises(QuerySyntaxError, match=r"SPARQL syntax error: .*line:1, col:18"):
        check_query("SELECT * WHERE { ?s ?p }")


def test_undeclared_prefix_is_a_syntax_error(toy_store: pyoxigraph.Store) -> None:
    with pytest.raises(QuerySyntaxError, match="Prefix not found"):
        run_query(toy_store, "SELECT * WHERE { ?s nope:p ?o }")


def test_errors_are_value_errors_of_the_query_family() -> None:
    with pytest.raises(ValueError):
        check_query("not sparql")
    assert issubclass(ForbiddenQueryError, QueryError)


def test_policy_bounds_the_text_length() -> None:
    text = "SELECT * WHERE { ?s ?p ?o }"
    assert QueryPolicy(max_length=len(text)).check(text).form is QueryForm.SELECT
    with pytest.raises(ForbiddenQueryError, match="over the limit"):
        QueryPolicy(max_length=len(text) - 1).check(text)


def test_select_rows_are_terms_in_variable_order(toy_store: pyoxigraph.Store) -> None:
    result = run_query(
        toy_store,
        """PREFIX ex: <http://example.org/>
        SELECT ?drug ?label ?dose WHERE {
          ex:BCR-ABL1 ex:targetedBy ?drug . ?drug rdfs:label ?label
          OPTIONAL { ?drug ex:dose ?dose }
        } ORDER BY ?label""",
    )
    assert result.form is QueryForm.SELECT
    assert result.variables == ("drug", "label", "dose")
    assert result.column("label") == ["dasatinib", "imatinib"]
    assert result.column("dose") == [None, "340 mg/m2/day"]
    assert result.rows[1][1] == pyoxigraph.Literal("imatinib", language="en")
    assert result.bindings()[0] == {
        "drug": pyoxigraph.NamedNode("http://example.org/dasatinib"),
        "label": pyoxigraph.Literal("dasatinib", language="en"),
    }


def test_pedall_prefixes_are_predeclared(make_graph: Callable[[str], Graph]) -> None:
    store = build_store(make_graph("<https://w3id.org/pedall/x> a <https://w3id.org/pedall/Y> ."))
    result = run_query(store, "SELECT ?x WHERE { ?x a pedall:Y }")
    assert [compact_term(row[0]) for row in result.rows] == ["pedall:x"]


def test_bindings_give_variables_a_value(toy_store: pyoxigraph.Store) -> None:
    text = "SELECT ?drug ?label WHERE { ?drug rdfs:label ?label }"
    imatinib = pyoxigraph.NamedNode("http://example.org/imatinib")
    result = run_query(toy_store, text, bindings={"drug": imatinib})
    assert result.rows == ((imatinib, pyoxigraph.Literal("imatinib", language="en")),)
    with pytest.raises(QuerySyntaxError, match="not a SPARQL variable name"):
        run_query(toy_store, text, bindings={"drug label": imatinib})


@pytest.mark.parametrize(
    ("value", "term"),
    [
        ("<http://example.org/a>", pyoxigraph.NamedNode("http://example.org/a")),
        ("https://doi.org/10.1/x", pyoxigraph.NamedNode("https://doi.org/10.1/x")),
        ("pedall:BCR-ABL1", pyoxigraph.NamedNode("https://w3id.org/pedall/BCR-ABL1")),
        ("10", pyoxigraph.Literal("10", datatype=pyoxigraph.NamedNode(XSD + "integer"))),
        ("-0.5", pyoxigraph.Literal("-0.5", datatype=pyoxigraph.NamedNode(XSD + "decimal"))),
        ("MLL-AF4", pyoxigraph.Literal("MLL-AF4")),
        ("nope:x", pyoxigraph.Literal("nope:x")),
    ],
)
def test_binding_terms(value: str, term: Term) -> None:
    assert binding_term(value) == term


def test_ask_and_construct(toy_store: pyoxigraph.Store) -> None:
    prefix = "PREFIX ex: <http://example.org/> "
    assert run_query(toy_store, prefix + "ASK { ex:BCR-ABL1 ex:targetedBy ex:imatinib }").boolean
    assert not run_query(toy_store, prefix + "ASK { ex:imatinib ex:targetedBy ?x }").boolean
    graph = run_query(
        toy_store, prefix + "CONSTRUCT { ?d ex:treats ?l } WHERE { ?l ex:targetedBy ?d }"
    )
    assert graph.form is QueryForm.CONSTRUCT
    assert len(graph.triples) == 2


def test_build_store_skips_generalized_triples() -> None:
    graph = Graph()
    graph.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal("1")))
    graph.add((Literal("1"), URIRef("http://example.org/p"), URIRef("http://example.org/a")))
    assert len(build_store(graph)) == 1


# pyoxigraph cannot read CSV back (it is lossy): see test_csv_results_are_plain_values.
READABLE_RESULTS_MEDIA_TYPES = sorted(set(RESULTS_MEDIA_TYPES) - {"text/csv"})


@pytest.mark.parametrize("media_type", READABLE_RESULTS_MEDIA_TYPES)
def test_select_results_round_trip_in_every_results_format(
    toy_store: pyoxigraph.Store, media_type: str
) -> None:
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    result = run_query(toy_store, text)
    results_format = RESULTS_MEDIA_TYPES[media_type]
    body = serialize_result(result, media_type)
    parsed = pyoxigraph.parse_query_results(body, format=results_format)
    assert isinstance(parsed, pyoxigraph.QuerySolutions)
    assert [variable.value for variable in parsed.variables] == ["s", "p", "o"]
    rows = list(parsed)
    assert len(rows) == len(result.rows) == 9
    assert {(row["p"], row["o"]) for row in rows} == {(row[1], row[2]) for row in result.rows}


def test_csv_results_are_plain_values(toy_store: pyoxigraph.Store) -> None:
    result = run_query(toy_store, "SELECT ?note WHERE { ?s <http://example.org/note> ?note }")
    table = list(csv.reader(io.StringIO(serialize_result(result, "text/csv").decode())))
    assert table == [["note"], ['tab\there, "quoted"\nnew line']]


def test_json_results_follow_the_sparql_json_format(toy_store: pyoxigraph.Store) -> None:
    result = run_query(toy_store, "SELECT ?rank WHERE { ?s <http://example.org/rank> ?rank }")
    document = json.loads(serialize_result(result, "application/sparql-results+json"))
    assert document["head"]["vars"] == ["rank"]
    assert document["results"]["bindings"] == [
        {
            "rank": {
                "type": "literal",
                "value": "2",
                "datatype": "http://www.w3.org/2001/XMLSchema#integer",
            }
        }
    ]


@pytest.mark.parametrize(
    "media_type", sorted(set(RESULTS_MEDIA_TYPES) - {"text/csv", "text/tab-separated-values"})
)
def test_ask_results_in_every_results_format(toy_store: pyoxigraph.Store, media_type: str) -> None:
    result = run_query(toy_store, "ASK { ?s ?p ?o }")
    body = serialize_result(result, media_type)
    parsed = pyoxigraph.parse_query_results(body, format=RESULTS_MEDIA_TYPES[media_type])
    assert isinstance(parsed, pyoxigraph.QueryBoolean)
    assert bool(parsed) is True


def test_ask_result_as_csv_and_tsv_in_jenas_form(toy_store: pyoxigraph.Store) -> None:
    prefix = "PREFIX ex: <http://example.org/> "
    result = run_query(toy_store, prefix + "ASK { ex:imatinib ex:targetedBy ?x }")
    assert serialize_result(result, "text/csv") == b"_askResult\r\nfalse\r\n"
    assert serialize_result(result, "text/tab-separated-values") == b"?_askResult\nfalse\n"


@pytest.mark.parametrize("media_type", sorted(GRAPH_MEDIA_TYPES))
def test_graph_results_parse_back_in_every_graph_format(
    toy_store: pyoxigraph.Store,
    make_graph: Callable[[str], Graph],
    parse_rdf: Callable[[bytes, pyoxigraph.RdfFormat], Graph],
    media_type: str,
) -> None:
    result = run_query(toy_store, "CONSTRUCT WHERE { ?s ?p ?o }")
    body = serialize_result(result, media_type)
    assert isomorphic(parse_rdf(body, GRAPH_MEDIA_TYPES[media_type]), make_graph(TOY))


def test_serializing_in_a_format_of_the_other_kind_is_an_error(
    toy_store: pyoxigraph.Store,
) -> None:
    select = run_query(toy_store, "SELECT * WHERE { ?s ?p ?o }")
    construct = run_query(toy_store, "CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(ValueError, match="not a results format"):
        serialize_result(select, "text/turtle")
    with pytest.raises(ValueError, match="not a graph format"):
        serialize_result(construct, "text/csv")


@pytest.mark.parametrize(
    ("table", "media_type", "expected"),
    [
        (RESULTS_MEDIA_TYPES, "application/sparql-results+json", "JSON"),
        (RESULTS_MEDIA_TYPES, "application/sparql-results+xml", "XML"),
        (RESULTS_MEDIA_TYPES, "text/csv", "CSV"),
        (RESULTS_MEDIA_TYPES, "text/tab-separated-values", "TSV"),
        (GRAPH_MEDIA_TYPES, "text/turtle", "TURTLE"),
        (GRAPH_MEDIA_TYPES, "application/ld+json", "JSON_LD"),
        (GRAPH_MEDIA_TYPES, "application/n-triples", "N_TRIPLES"),
        (GRAPH_MEDIA_TYPES, "application/rdf+xml", "RDF_XML"),
    ],
)
def test_media_type_tables(table: dict[str, object], media_type: str, expected: str) -> None:
    assert table[media_type] == getattr(type(table[media_type]), expected)
