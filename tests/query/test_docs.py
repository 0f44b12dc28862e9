"""``pedall docs`` and ``/ontology``: the ontology's HTML documentation (pyLODE), written
offline as one self-contained page, and served to a browser while a machine gets RDF.
The page is rendered once per fixture (a few seconds each), never per test."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from rdflib import OWL, RDF, Graph, URIRef

from pedall import RESEARCH_NOTICE
from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query import ontology_docs
from pedall.query.ontology_docs import OntologyDocs, documented_graph, external_assets
from pedall.service import ontology_docs as service_docs
from pedall.service.app import create_app
from pedall.service.security_headers import SECURITY_HEADERS
from pedall.service.settings import ServiceSettings

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VERSION_IRI = URIRef("https://w3id.org/pedall/ontology/2026-12-02")


class NetworkUsed(OSError):
    pass


def refuse(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network used: {args}")


@pytest.fixture(scope="module")
def docs_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """``pedall docs -o DIR`` with every outbound connection and name lookup refused."""
    folder = tmp_path_factory.mktemp("docs") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        with pytest.raises(NetworkUsed):  # the guard holds
            socket.create_connection(("127.0.0.1", 9))
        result = CliRunner().invoke(main, ["docs", "-o", str(folder)])
    return result, folder


@pytest.fixture(scope="module")
def page(docs_run: tuple[Result, Path]) -> str:
    result, folder = docs_run
    assert result.exit_code == 0, result.output
    return (folder / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServiceSettings(workers=1)), base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.slow  # pyLODE renders the ontology
def test_docs_writes_one_index_page_offline(docs_run: tuple[Result, Path], page: str) -> None:
    result, folder = docs_run
    assert f"wrote {folder / 'index.html'}" in result.output
    assert sorted(path.name for path in folder.iterdir()) == ["index.html"]  # no temp file
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page


def test_the_page_names_key_terms_and_the_ontology(page: str) -> None:
    assert "<title>pedall: pediatric acute lymphoblastic leukemia knowledge graph</title>" in page
    assert "BCR::ABL1" in page  # the lesion class's preferred label
    assert "risk criterion" in page and "One condition of a risk classification scheme" in page
    assert ONTOLOGY_IRI in page and str(VERSION_IRI) in page
    assert RESEARCH_NOTICE in page


def test_the_page_fetches_nothing_from_another_host(page: str) -> None:
    assert external_assets(page) == []
    tags = re.findall(r"<(?:link|script|img|iframe|source|embed|object)\b[^>]*>", page)
    assert tags and not [tag for tag in tags if re.search(r"(src|href|data)=\"(https?:)?//", tag)]
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//|fonts\.googleapis", page)
    assert re.search(r'<a href="https://w3id\.org/pedall/', page)  # plain links to terms stay


@pytest.mark.parametrize(
    ("snippet", "url"),
    [
        ('<link rel="stylesheet" href="https://cdn.example/x.css">', "https://cdn.example/x.css"),
        ('<script src="//cdn.example/x.js"></script>', "//cdn.example/x.js"),
        (
            "<style>@import url(https://fonts.googleapis.com/css);</style>",
            "https://fonts.googleapis.com/css",
        ),
        ("<style>body{background:url('http://x.example/a.png')}</style>", "http://x.example/a.png"),
        ('<img srcset="https://x.example/a.png 2x">', "https://x.example/a.png"),
        ('<p style="background: url(https://x.example/b.png)">', "https://x.example/b.png"),
    ],
)
def test_external_assets_finds_what_a_browser_would_fetch(snippet: str, url: str) -> None:
    assert external_assets(f"<html><head></head><body>{snippet}</body></html>") == [url]


def test_external_assets_ignores_links_and_local_assets() -> None:
    page = (
        '<a href="https://w3id.org/pedall/BCR-ABL1">x</a><link rel="icon" href="data:,">'
        '<script type="application/ld+json">{"@id": "https://x.example"}</script>'
        '<link rel="stylesheet" href="style.css">'
    )
    assert external_assets(page) == []


def test_a_page_that_would_fetch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class LinksACdn:
        def __init__(self, graph: Graph) -> None:
            pass

        def make_html(self) -> str:
            return '<html><head><link rel="stylesheet" href="https://cdn.example/a.css">'

    monkeypatch.setattr(ontology_docs, "_ontology_document_class", lambda: LinksACdn)
    with pytest.raises(RuntimeError, match=r"https://cdn\.example/a\.css"):
        ontology_docs.render_ontology_docs(KnowledgeBase.load())


def test_without_pylode_docs_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pylode.profiles.ontpub", None)
    result = CliRunner().invoke(main, ["docs", "-o", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "pip install 'pedall[docs]'" in result.output
    assert not (tmp_path / "site").exists()


def test_the_page_is_written_whole_with_the_house_modes(tmp_path: Path) -> None:
    docs = OntologyDocs('<!DOCTYPE html><html lang="en"></html>')
    umask = os.umask(0o022)
    try:
        path = docs.write(tmp_path / "new" / "site")
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)
        docs.write(path.parent)  # replaced: keeps its mode
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)
    assert sorted(p.name for p in path.parent.iterdir()) == ["index.html"]


def test_only_the_ontology_iri_is_documented_as_an_ontology(
    make_data_root: Callable[[dict[str, str]], Path],
) -> None:
    prefixes = (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
    )
    root = make_data_root(
        {
            "pedall.ttl": prefixes + f"<{ONTOLOGY_IRI}> a owl:Ontology ; dcterms:title 'pedall' .",
            "lesions.ttl": prefixes
            + f"<{ONTOLOGY_IRI}/lesions> a owl:Ontology ; dcterms:title 'lesions' .\n"
            + "<https://w3id.org/pedall/X> a owl:Class .",
        }
    )
    knowledge = KnowledgeBase(DataFiles(root), cache=None)
    graph = documented_graph(knowledge)
    assert set(graph.subjects(RDF.type, OWL.Ontology)) == {URIRef(ONTOLOGY_IRI)}
    assert (URIRef("https://w3id.org/pedall/X"), RDF.type, OWL.Class) in graph
    assert len(knowledge.graph) == 5  # the shared graph is left as it was


def test_the_service_renders_the_page_once(monkeypatch: pytest.MonkeyPatch) -> None:
    renders: list[object] = []

    def render(knowledge: object) -> OntologyDocs:
        renders.append(knowledge)
        return OntologyDocs("<html></html>")

    monkeypatch.setattr(service_docs, "render_ontology_docs", render)
    rendered = service_docs.RenderedDocs()
    knowledge = KnowledgeBase.load()
    assert rendered.get(knowledge) is rendered.get(knowledge)
    assert renders == [knowledge]


def test_a_browser_gets_the_documentation_with_its_style_allowed_by_hash(
    client: TestClient,
) -> None:
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "BCR::ABL1" in response.text and RESEARCH_NOTICE in response.text
    assert response.headers["vary"] == "Accept"
    policy = response.headers["content-security-policy"]
    (css,) = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert response.headers[name] == SECURITY_HEADERS[name]


def test_a_machine_gets_the_ontology_rdf(client: TestClient) -> None:
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(ONTOLOGY_IRI), OWL.versionIRI, VERSION_IRI) in graph
    assert (URIRef("https://w3id.org/pedall/BCR-ABL1"), RDF.type, OWL.Class) in graph
    assert response.content == client.get("/graph.ttl").content  # the same ontology document
    assert client.get("/ontology").headers["content-type"].startswith("text/turtle")  # */*


def test_ontology_negotiates_as_term_iris_do(client: TestClient) -> None:
    jsonld = client.get("/ontology?format=jsonld", headers={"Accept": BROWSER_ACCEPT})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    refused = client.get("/ontology", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["error"] == "not-acceptable"
    term = client.get("/id/ontology", headers={"Accept": "text/turtle"})
    assert term.status_code == 200 and ONTOLOGY_IRI in term.text  # the term route is kept


def test_without_pylode_a_browser_is_told_how_to_install_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(knowledge: object) -> OntologyDocs:
        raise ModuleNotFoundError("HTML documentation needs pyLODE: pip install 'pedall[docs]'")

    monkeypatch.setattr(
        service_docs.RenderedDocs, "get", lambda self, knowledge: missing(knowledge)
    )
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 503 and "pedall[docs]" in response.json()["message"]
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).status_code == 200


@pytest.mark.slow  # pyLODE renders the ontology
def test_rendering_leaves_no_unclosed_event_loop_behind(
    docs_run: tuple[Result, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """dominate, under pyLODE, asks for the thread's event loop for each tag, which makes
    one and leaves it set; the next ``asyncio.run`` dropped it unclosed, and the garbage
    collector's warning failed whichever test it fell in (the CI run of 2026-12-02)."""
    dropped: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_value))
    asyncio.run(asyncio.sleep(0))  # sets the thread's loop, dropping any left behind
    gc.collect()
    assert not [e for e in dropped if "event loop" in str(e) or "socket" in str(e)]
