"""``pedall.service.linked_data`` in-process: terms at ``/id/{name}`` as RDF and as pages,
the whole graph as downloads, and their error answers (an unknown term 404, an answer in
no acceptable format 406, an unknown download format 400: the JSON error body; an HTML page
for a browser asking for an unknown term). Redirects of synonyms and search are in
``tests/service/test_service_terms.py``."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from rdflib import XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDFS, SKOS

from http_answers import assert_json_error, in_process
from pedall import RESEARCH_NOTICE
from pedall.knowledge.base import KnowledgeBase
from pedall.query import export
from pedall.service import graph_downloads

PEDALL = Namespace("https://w3id.org/pedall/")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BCR_ABL1_LABEL = (PEDALL["BCR-ABL1"], RDFS.label, Literal("BCR::ABL1", lang="en"))
LESION = (PEDALL["KMT2A-AFF1"], RDFS.subClassOf, PEDALL.GeneticLesion)  # inferred only


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


def parsed(body: bytes, rdf_format: pyoxigraph.RdfFormat) -> Graph:
    """An rdflib graph of a serialization (parsed by pyoxigraph, handed over as N-Triples)."""
    triples = pyoxigraph.parse(body, format=rdf_format)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=ntriples, format="nt")


def local(term: object) -> str:
    return str(term).removeprefix(str(PEDALL))


# --- terms ---------------------------------------------------------------------------------


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
def test_a_term_dereferences_as_rdf(
    client: TestClient,
    knowledge_base: KnowledgeBase,
    accept: str,
    media_type: str,
    rdf_format: pyoxigraph.RdfFormat,
) -> None:
    response = client.get("/id/KMT2A-AFF1", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["vary"] == "Accept"
    graph = parsed(response.content, rdf_format)
    term = PEDALL["KMT2A-AFF1"]
    asserted = {
        (predicate, obj)
        for predicate, obj in knowledge_base.graph.predicate_objects(term)
        if isinstance(obj, (URIRef, Literal))
    }
    assert asserted and asserted <= set(graph.predicate_objects(term))


def test_a_term_with_its_inferred_triples(client: TestClient) -> None:
    plain = client.get("/id/KMT2A-AFF1?format=ttl").content
    inferred = client.get("/id/KMT2A-AFF1?format=ttl&inferred=true").content
    assert LESION not in parsed(plain, pyoxigraph.RdfFormat.TURTLE)
    assert LESION in parsed(inferred, pyoxigraph.RdfFormat.TURTLE)


def test_a_term_page_for_a_browser(client: TestClient, knowledge_base: KnowledgeBase) -> None:
    response = client.get("/id/BCR-ABL1", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept"
    definition = knowledge_base.graph.value(PEDALL["BCR-ABL1"], SKOS.definition)
    assert definition is not None and str(definition) in response.text
    assert RESEARCH_NOTICE in response.text
    assert "https://doi.org/10.3345/kjp.2017.60.5.129" in response.text
    assert 'href="/id/gene-BCR"' in response.text


def test_term_pages_show_mappings_and_evidence(
    client: TestClient, knowledge_base: KnowledgeBase
) -> None:
    graph = knowledge_base.graph
    mapped = sorted(
        (subject, target)
        for subject, target in graph.subject_objects(SKOS.exactMatch)
        if str(subject).startswith(str(PEDALL))
    )
    about = sorted(
        (subject, statement)
        for statement, subject in graph.subject_objects(PEDALL.about)
        if str(subject).startswith(str(PEDALL)) and graph.value(statement, PEDALL.statement)
    )
    assert mapped and about
    for term, target in mapped[:3]:
        page = client.get(f"/id/{local(term)}", headers={"Accept": "text/html"})
        assert f'href="{target}"' in page.text
    for term, statement in about[:3]:
        page = client.get(f"/id/{local(term)}", headers={"Accept": "text/html"})
        assert html.escape(str(graph.value(statement, PEDALL.statement))) in page.text


def test_shape_terms_dereference_too(client: TestClient) -> None:
    criterion = client.get("/id/CMCP-ALL2008-high-kmt2a?format=ttl").content
    graph = parsed(criterion, pyoxigraph.RdfFormat.TURTLE)
    shape = graph.value(PEDALL["CMCP-ALL2008-high-kmt2a"], PEDALL.condition)
    assert shape is not None and str(shape).startswith(str(PEDALL))
    assert client.get(f"/id/{local(shape)}", headers={"Accept": "text/turtle"}).status_code == 200


def test_head_of_a_term(client: TestClient) -> None:
    term = client.head("/id/BCR-ABL1", headers={"Accept": "application/ld+json"})
    assert term.status_code == 200
    assert term.headers["content-type"].startswith("application/ld+json")
    assert term.content == b""


def test_literals_in_one_canonical_form_in_endpoint_export_and_term_pages(
    client: TestClient,
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
    term = client.get(f"/id/{local(figure)}", params={"format": "nt"}).text
    assert f"<https://w3id.org/pedall/value> {written} ." in term
    export = client.get("/graph.nt").text
    assert f"<{figure}> <https://w3id.org/pedall/value> {written} ." in export
    computed = client.get("/sparql", params={"query": "SELECT (2.0 * 3 AS ?x) (1E2 AS ?y) {}"})
    values = computed.json()["results"]["bindings"][0]
    assert (values["x"]["value"], values["y"]["value"]) == ("6.0", "1.0E2")


# --- term errors ---------------------------------------------------------------------------


def test_an_unknown_term_is_404(client: TestClient) -> None:
    for accept in ("text/turtle", "application/json", "*/*"):
        response = client.get("/id/NoSuchLesion", headers={"Accept": accept})
        assert_json_error(response, 404, "unknown-term", "no term pedall:NoSuchLesion")
        assert response.headers["vary"] == "Accept"
    assert client.head("/id/NoSuchLesion").status_code == 404


def test_a_browser_asking_for_an_unknown_term_gets_a_page(client: TestClient) -> None:
    response = client.get("/id/NoSuchLesion", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "no term pedall:NoSuchLesion" in response.text
    assert RESEARCH_NOTICE in response.text


def test_a_term_in_no_acceptable_format_is_406(client: TestClient) -> None:
    response = client.get("/id/BCR-ABL1", headers={"Accept": "image/png"})
    assert_json_error(response, 406, "not-acceptable", "offered: ")
    assert response.headers["vary"] == "Accept"


def test_an_unreadable_parameter_is_400(client: TestClient) -> None:
    response = client.get("/id/BCR-ABL1?inferred=maybe", headers={"Accept": "text/turtle"})
    assert_json_error(response, 400, "bad-request", "inferred")


# --- downloads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "media_type", "rdf_format"),
    [
        ("ttl", "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        ("jsonld", "application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
        ("nt", "application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        ("rdf", "application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
    ],
)
def test_whole_graph_downloads(
    client: TestClient, extension: str, media_type: str, rdf_format: pyoxigraph.RdfFormat
) -> None:
    plain = client.get(f"/graph.{extension}")
    assert plain.headers["content-type"].split(";")[0] == media_type
    assert plain.headers["content-disposition"].startswith("attachment")
    asserted = parsed(plain.content, rdf_format)
    with_inferred = parsed(client.get(f"/graph.{extension}?inferred=true").content, rdf_format)
    assert BCR_ABL1_LABEL in asserted
    assert LESION not in asserted
    assert LESION in with_inferred
    assert len(asserted) < len(with_inferred)


@pytest.mark.parametrize(
    ("format_name", "extension"),
    [("ttl", "ttl"), ("jsonld", "jsonld"), ("nt", "nt"), ("xml", "rdf")],
)
def test_a_download_by_format_parameter(
    client: TestClient, format_name: str, extension: str
) -> None:
    for inferred in ("false", "true"):
        download = client.get("/download", params={"format": format_name, "inferred": inferred})
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        same = client.get(f"/graph.{extension}", params={"inferred": inferred})
        assert download.content == same.content
        assert download.headers["content-type"] == same.headers["content-type"]


def test_head_of_a_download(client: TestClient) -> None:
    head = client.head("/graph.nt")
    assert head.status_code == 200 and head.content == b""


def test_an_unknown_download_is_404_and_an_unknown_format_400(client: TestClient) -> None:
    assert_json_error(client.get("/graph.docx"), 404, "unknown-term", "graph.docx")
    assert_json_error(client.get("/download?format=docx"), 400, "bad-request", "'docx'")
    assert_json_error(client.get("/graph.ttl?inferred=maybe"), 400, "bad-request", "inferred")


def test_a_term_or_a_download_takes_get_and_head_only(client: TestClient) -> None:
    for path in ("/id/BCR-ABL1", "/graph.ttl", "/download"):
        response = client.post(path)
        assert_json_error(response, 405, "method-not-allowed", "Method Not Allowed")
        assert response.headers["allow"] == "GET, HEAD"


def test_a_description_is_serialized_once_per_format(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The knowledge base does not change while the service runs: asked again, a term's
    description in a format is the bytes it was the first time, not serialized again."""
    serialized: list[str] = []
    serialize = export.serialize_graph

    def counted(graph: Graph, name: str) -> bytes:
        serialized.append(name)
        return serialize(graph, name)

    monkeypatch.setattr(graph_downloads, "serialize_graph", counted)

    def ask(accept: str) -> bytes:
        answer = client.get("/id/ETV6-RUNX1?inferred=true", headers={"Accept": accept})
        assert answer.status_code == 200
        return answer.content

    first = ask("text/turtle")
    ask("application/n-triples")
    before = len(serialized)  # each at most once (another test may have asked already)
    assert before <= 2
    assert ask("text/turtle") == first and ask("application/n-triples")
    assert len(serialized) == before
    again = parsed(first, pyoxigraph.RdfFormat.TURTLE)
    assert (PEDALL["ETV6-RUNX1"], RDFS.subClassOf, PEDALL.GeneticLesion) in again
