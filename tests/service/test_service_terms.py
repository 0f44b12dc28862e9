"""Finding terms, in-process: search by label, synonym and mapped ID (a page for a browser,
JSON otherwise), synonyms redirect to their term, an unknown term is a 404 page with
suggestions for a browser, and term pages read restrictions and relations in words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.service.app import create_app
from pedall.service.settings import ServiceSettings

MATCH_ORDER = ["exact", "starts with", "word starts with", "contains", "close to"]
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServiceSettings(workers=1)), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def graph() -> Graph:
    return KnowledgeBase.load().graph


def term_with_text(graph: Graph, text: str) -> set[str]:
    """The local names of the terms labelled (or with the synonym) ``text``, read from
    the graph so the tests hold whichever spelling is the preferred one."""
    return {
        str(subject).removeprefix(str(PEDALL))
        for predicate in (RDFS.label, SKOS.altLabel)
        for subject, value in graph.subject_objects(predicate)
        if str(value) == text and isinstance(subject, URIRef)
    }


def label_of(graph: Graph, name: str) -> str:
    return str(graph.value(PEDALL[name], RDFS.label))


@pytest.mark.parametrize(("synonym", "lesion_gene"), [("BCR-ABL", "ABL1"), ("MLL", "KMT2A")])
def test_a_synonym_redirects_to_its_term(
    client: TestClient, graph: Graph, synonym: str, lesion_gene: str
) -> None:
    response = client.get(f"/id/{synonym}", headers=BROWSER, follow_redirects=False)
    assert response.status_code == 303
    target = response.headers["location"].removeprefix("/id/")
    assert target in term_with_text(graph, synonym)
    # the target is the lesion (a class) of that gene, not the gene itself
    assert (PEDALL[target], RDF.type, OWL.Class) in graph
    page = client.get(response.headers["location"], headers=BROWSER)
    assert page.status_code == 200
    assert f"/id/gene-{lesion_gene}" in page.text


def test_a_redirect_keeps_the_format(client: TestClient) -> None:
    response = client.get("/id/BCR-ABL?format=ttl", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?format=ttl")
    assert (
        client.get(response.headers["location"]).headers["content-type"].startswith("text/turtle")
    )


def test_a_known_term_is_answered_not_redirected(client: TestClient) -> None:
    response = client.get("/id/gene-KMT2A", headers=BROWSER, follow_redirects=False)
    assert response.status_code == 200


def test_an_unknown_term_is_a_404_page_with_suggestions_for_a_browser(
    client: TestClient, graph: Graph
) -> None:
    response = client.get("/id/BCR-ABLL", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Did you mean" in response.text
    assert 'href="/id/BCR-ABL1"' in response.text
    assert 'role="search"' in response.text


def test_an_unknown_term_stays_json_for_a_machine(client: TestClient) -> None:
    response = client.get("/id/BCR-ABLL", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown-term"


@pytest.mark.parametrize(
    ("text", "name"),
    [("HGNC:1014", "gene-BCR"), ("ncit:c8936", "PrecursorBCellALL"), ("MLL-r", None)],
)
def test_search_finds_mapped_ids_and_synonyms(
    client: TestClient, graph: Graph, text: str, name: str | None
) -> None:
    response = client.get("/search", params={"q": text}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    results = response.json()["results"]
    expected = name or term_with_text(graph, text).pop()
    assert results[0]["href"] == f"/id/{expected}"
    assert results[0]["match"] == "exact"
    assert results[0]["label"] == label_of(graph, expected)


def test_search_ranks_exact_before_partial(client: TestClient) -> None:
    results = client.get("/search", params={"q": "KMT2A", "format": "json"}).json()["results"]
    matches = [result["match"] for result in results]
    assert matches == sorted(matches, key=MATCH_ORDER.index)
    assert matches[0] == "exact"
    assert any(result["href"] == "/id/KMT2A-rearrangement" for result in results)


def test_search_page_for_a_browser(client: TestClient) -> None:
    response = client.get("/search", params={"q": "BCR-ABL"}, headers=BROWSER)
    assert response.status_code == 200
    assert 'href="/id/BCR-ABL1"' in response.text
    assert 'id="search-count"' in response.text


def test_search_answers_json_to_a_client_that_accepts_anything(client: TestClient) -> None:
    response = client.get("/search", params={"q": "MLL"}, headers={"Accept": "*/*"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["results"][0]["href"] == "/id/KMT2A-rearrangement"


def test_search_with_nothing_close_says_none(client: TestClient) -> None:
    body = client.get("/search", params={"q": "zzzzqqqq", "format": "json"}).json()
    assert body == {"query": "zzzzqqqq", "results": []}


def test_every_term_page_and_the_index_have_a_search_box(client: TestClient) -> None:
    for path in ("/terms", "/id/BCR-ABL1", "/id/gene-BCR"):
        assert 'role="search"' in client.get(path, headers=BROWSER).text, path


def test_restrictions_read_in_words_with_links(client: TestClient) -> None:
    page = client.get("/id/BCR-ABL1", headers=BROWSER).text
    assert "owl:onProperty" not in page
    assert '<a href="/id/involvesGene"' in page
    assert '<a href="/id/targetedBy"' in page
    assert 'href="/id/imatinib"' in page


def test_a_lesion_links_to_the_criteria_that_name_it(client: TestClient) -> None:
    page = client.get("/id/BCR-ABL1", headers=BROWSER).text
    assert "Risk criteria that name it" in page
    assert 'href="/id/CMCP-ALL2008-very-high-bcr-abl1"' in page
    # a subclass meets the criterion of its superclass (KMT2A-AFF1: KMT2A rearrangement)
    assert "Risk criteria that name it" in client.get("/id/KMT2A-AFF1", headers=BROWSER).text


def test_a_gene_links_to_its_lesions(client: TestClient) -> None:
    page = client.get("/id/gene-BCR", headers=BROWSER).text
    assert "Named in the definitions of" in page
    assert 'href="/id/BCR-ABL1"' in page


def test_the_index_groups_by_domain_kind(client: TestClient, graph: Graph) -> None:
    page = client.get("/terms", headers=BROWSER).text
    headings = [
        line.split(">", 1)[1].split(" <", 1)[0]
        for line in page.splitlines()
        if line.startswith('<h2 id="kind-')
    ]
    for root in ("GeneticLesion", "Gene", "RiskCriterion", "EvidenceStatement"):
        label = label_of(graph, root)
        assert label[:1].upper() + label[1:] in headings
    assert "SHACL shapes" in headings
    assert "Node shape" not in headings
    lesions = page.split(f">{label_of(graph, 'GeneticLesion').capitalize()} <", 1)[1]
    lesions = lesions.split("<h2", 1)[0]
    assert 'href="/id/BCR-ABL1"' in lesions
    assert 'href="/id/gene-BCR"' not in lesions
