"""``pedall.service.ontology_docs`` in-process: ``/ontology`` and its versionIRI as RDF, and
their error answers (another version 404, no acceptable format 406, the HTML page without
its optional extra 503), each the JSON error body. The rendered HTML page itself is tested
in ``tests/query/test_docs.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import OWL, RDF, Graph, URIRef

from http_answers import assert_json_error, in_process
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query.ontology_docs import OntologyDocs
from pedall.service import ontology_docs

ONTOLOGY = URIRef(ONTOLOGY_IRI)
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


@pytest.fixture(scope="module")
def version(knowledge_base: KnowledgeBase) -> str:
    """The release's name in its versionIRI (``2026-12-02``)."""
    version_iri = knowledge_base.graph.value(ONTOLOGY, OWL.versionIRI)
    assert isinstance(version_iri, URIRef)
    return str(version_iri).rsplit("/", 1)[-1]


def test_the_ontology_as_rdf_is_the_whole_graph(client: TestClient) -> None:
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.headers["vary"] == "Accept"
    assert response.content == client.get("/graph.ttl").content
    jsonld = client.get("/ontology", params={"format": "jsonld"}, headers=BROWSER)
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    inferred = client.get("/ontology", params={"inferred": "true", "format": "nt"})
    assert inferred.content == client.get("/graph.nt", params={"inferred": "true"}).content


def test_the_version_iri_dereferences(client: TestClient, version: str) -> None:
    response = client.get(f"/ontology/{version}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["vary"] == "Accept"
    graph = Graph().parse(data=response.text, format="turtle")
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in graph
    assert (ONTOLOGY, OWL.versionIRI, URIRef(f"{ONTOLOGY}/{version}")) in graph
    redirect = client.get(f"/id/ontology/{version}", headers={"Accept": "text/turtle"})
    assert redirect.status_code == 303
    assert redirect.headers["location"].endswith(f"/ontology/{version}")
    assert redirect.headers["vary"] == "Accept"
    module = client.get(f"/id/ontology/lesions/{version}", headers={"Accept": "text/turtle"})
    assert module.status_code == 303 and module.headers["location"] == "/id/ontology/lesions"


def test_another_version_is_404(client: TestClient, version: str) -> None:
    response = client.get("/ontology/1999-01-01", headers={"Accept": "text/turtle"})
    assert_json_error(response, 404, "unknown-term", f"this service holds {ONTOLOGY}/{version}")


def test_no_acceptable_format_is_406(client: TestClient) -> None:
    response = client.get("/ontology", headers={"Accept": "image/png"})
    assert_json_error(response, 406, "not-acceptable", "text/turtle")
    assert response.headers["vary"] == "Accept"


def test_the_page_without_pylode_is_503_saying_how_to_get_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_pylode(knowledge: KnowledgeBase) -> OntologyDocs:
        raise ModuleNotFoundError("HTML documentation needs pyLODE: pip install 'pedall[docs]'")

    monkeypatch.setattr(ontology_docs, "render_ontology_docs", without_pylode)
    response = client.get("/ontology", headers=BROWSER)
    assert_json_error(response, 503, "docs-unavailable", "pip install 'pedall[docs]'")
    assert response.headers["vary"] == "Accept"
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).status_code == 200
