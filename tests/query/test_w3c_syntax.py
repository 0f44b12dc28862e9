"""The W3C SPARQL 1.1 query syntax tests against ``/sparql``: every positive test is
answered, but for the refusals pedall documents; every negative test gets 400.

The tests are vendored in ``tests/data/w3c-sparql11-syntax/`` (see its README for the
source and the license); the manifest is read with rdflib, each query sent in-process to
one app (``application/sparql-query``, as SPARQL clients post a query).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from pedall.service.app import create_app
from pedall.service.settings import ServiceSettings

SUITE = Path(__file__).resolve().parents[1] / "data" / "w3c-sparql11-syntax"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
POSITIVE, NEGATIVE = MF.PositiveSyntaxTest11, MF.NegativeSyntaxTest11
ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"

# Valid SPARQL that pedall refuses on purpose, with the status and a word of the message.
DOCUMENTED_REFUSALS = {
    # FROM would name a dataset beyond the knowledge graph (and could make pyoxigraph
    # fetch it): refused, as SERVICE and updates are.
    "syntax-construct-where-02.rq": (400, "FROM"),
    # An extension function pyoxigraph does not know: valid syntax, but no engine here
    # can run it (400, not a 5xx: the query must change, retrying will not help).
    "syntax-select-expr-04.rq": (400, "is not supported"),
}


def manifest_entries() -> list[tuple[str, URIRef, Path]]:
    """(name, kind, query file) of each test, in the manifest's order."""
    manifest = Graph()
    path = SUITE / "manifest.ttl"
    manifest.parse(path, format="turtle", publicID=path.resolve().as_uri())
    (head,) = manifest.subjects(RDF.type, MF.Manifest)
    entries = []
    listed = manifest.value(head, MF.entries)
    assert listed is not None, "the manifest lists no entries"
    for test in Collection(manifest, listed):
        kind = manifest.value(test, RDF.type)
        action = manifest.value(test, MF.action)
        assert isinstance(kind, URIRef) and isinstance(action, URIRef)
        query = Path(action.removeprefix("file://"))
        entries.append((query.name, kind, query))
    return entries


ENTRIES = manifest_entries()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(
        create_app(ServiceSettings(workers=1)), base_url="http://127.0.0.1"
    ) as in_process:
        yield in_process


def test_the_suite_is_complete() -> None:
    kinds = [kind for _, kind, _ in ENTRIES]
    assert len(ENTRIES) == 94 and set(kinds) == {POSITIVE, NEGATIVE}
    assert all(query.is_file() for _, _, query in ENTRIES)
    positives = {name for name, kind, _ in ENTRIES if kind == POSITIVE}
    assert set(DOCUMENTED_REFUSALS) <= positives


@pytest.mark.parametrize(("name", "kind", "query"), ENTRIES, ids=[name for name, *_ in ENTRIES])
def test_w3c_syntax(client: TestClient, name: str, kind: URIRef, query: Path) -> None:
    response = client.post(
        "/sparql",
        content=query.read_bytes(),
        headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
    )
    if kind == NEGATIVE:
        assert response.status_code == 400, response.text
        assert "syntax error" in response.text
    elif name in DOCUMENTED_REFUSALS:
        status, word = DOCUMENTED_REFUSALS[name]
        assert (response.status_code, word in response.text) == (status, True), response.text
    else:
        assert response.status_code == 200, response.text
        assert response.headers["vary"] == "Accept"


def test_relative_iris_resolve_against_the_endpoint(client: TestClient) -> None:
    # syntax-oneof-03.rq holds the relative IRI <x>: its base is the endpoint's own IRI.
    response = client.get(
        "/sparql",
        params={"query": "SELECT (<x> AS ?iri) (<../id/y> AS ?up) {}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    binding = response.json()["results"]["bindings"][0]
    assert binding["iri"]["value"] == "http://127.0.0.1/x"
    assert binding["up"]["value"] == "http://127.0.0.1/id/y"
    based = client.get(
        "/sparql",
        params={"query": "BASE <https://w3id.org/pedall/> SELECT (<x> AS ?iri) {}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert based.json()["results"]["bindings"][0]["iri"]["value"] == "https://w3id.org/pedall/x"
