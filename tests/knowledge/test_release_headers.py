"""The release headers of the data files: every ontology and shapes file is an
``owl:Ontology`` of its own with a dated ``owl:versionIRI``, and its ``owl:imports`` name
files of the package. Nothing pedall runs ever follows an import."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SH

from pedall.knowledge.base import KnowledgeBase, owl_rl_closure
from pedall.knowledge.canonical import canonical_turtle
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import ONTOLOGY_IRI, PEDALL
from pedall.query.checks import shape_failures
from pedall.shacl.pyshacl_runner import run_pyshacl

FILES = DataFiles.default()
DATA_FILES = FILES.ontology_files() + FILES.shape_files()
SHAPES_BASE = f"{PEDALL}shapes/"
UNREACHABLE = URIRef("http://192.0.2.1/never-fetched.ttl")  # TEST-NET-1: routes nowhere


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, ...]]]:
    """Every outbound connection and name lookup fails, and is recorded (so an attempt a
    library swallows is still seen)."""
    attempts: list[tuple[object, ...]] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError(f"network used: {args}")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts
    assert attempts == []


def header_iri(path: Path) -> URIRef:
    """The ontology IRI a data file must declare: the ontology's own for pedall.ttl, else
    one under it (ontology modules) or under the shapes namespace."""
    if path.parent.name == "ontology":
        return URIRef(ONTOLOGY_IRI if path.stem == "pedall" else f"{ONTOLOGY_IRI}/{path.stem}")
    return URIRef(f"{SHAPES_BASE}{path.stem}")


def parsed(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def release_date() -> str:
    graph = parsed(FILES.folder("ontology") / "pedall.ttl")
    return str(graph.value(URIRef(ONTOLOGY_IRI), OWL.versionInfo))


def imports_of(path: Path) -> set[URIRef]:
    graph = parsed(path)
    return {URIRef(str(target)) for target in graph.objects(header_iri(path), OWL.imports)}


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_data_file_has_a_dated_release_header(path: Path) -> None:
    graph = parsed(path)
    headers = set(graph.subjects(RDF.type, OWL.Ontology))
    assert headers == {header_iri(path)}, f"{path}: expected one owl:Ontology {header_iri(path)}"
    header = header_iri(path)
    version = graph.value(header, OWL.versionInfo)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(version)), f"{path}: versionInfo {version}"
    assert str(version) == release_date(), f"{path}: not of this release"
    assert graph.value(header, OWL.versionIRI) == URIRef(f"{header}/{version}")
    title = graph.value(header, DCTERMS.title)
    assert isinstance(title, Literal) and title.language == "en" and str(title).strip()
    assert graph.value(header, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert graph.value(header, DCTERMS.creator) is not None


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_header_comes_first_in_canonical_form(path: Path) -> None:
    text = canonical_turtle(path)
    first_subject = next(
        line for line in text.splitlines() if line and not line.startswith(("PREFIX", " ", "."))
    )
    assert first_subject in (
        f"<{header_iri(path)}>",
        header_iri(path).n3(parsed(path).namespace_manager),
    )
    assert text.splitlines()[text.splitlines().index(first_subject) + 1] == "    a owl:Ontology ;"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_imports_name_files_of_the_package(path: Path) -> None:
    known = {header_iri(other): other for other in DATA_FILES}
    for target in imports_of(path):
        assert target in known, f"{path} imports {target}, which no data file declares"
        assert known[target] != path, f"{path} imports itself"
        assert known[target].is_file()


def test_the_ontology_imports_every_module_and_no_shapes() -> None:
    modules = {header_iri(path) for path in FILES.ontology_files()} - {URIRef(ONTOLOGY_IRI)}
    assert imports_of(FILES.folder("ontology") / "pedall.ttl") == modules
    for path in FILES.ontology_files():
        if path.stem != "pedall":  # modules are parts of the ontology, which imports them
            assert imports_of(path) == set(), path
    assert URIRef(ONTOLOGY_IRI) in imports_of(FILES.shape_file("knowledge-graph.ttl"))


def test_shapes_imports_form_no_cycle() -> None:
    by_iri = {header_iri(path): path for path in FILES.shape_files()}
    imports = {iri: imports_of(path) & set(by_iri) for iri, path in by_iri.items()}
    done: set[URIRef] = set()

    def visit(iri: URIRef, trail: tuple[URIRef, ...]) -> None:
        assert iri not in trail, f"import cycle: {' -> '.join(map(str, (*trail, iri)))}"
        if iri not in done:
            for target in imports[iri]:
                visit(target, (*trail, iri))
            done.add(iri)

    for iri in imports:
        visit(iri, ())
    assert any(imports.values())  # shapes build on other shapes (the criteria's conditions)


def test_every_shapes_file_imports_what_it_constrains() -> None:
    for path in FILES.shape_files():
        assert imports_of(path), f"{path} imports nothing"


@pytest.mark.slow  # loads the data files again
def test_loading_the_graph_follows_no_import(no_network: list[tuple[object, ...]]) -> None:
    knowledge = KnowledgeBase(FILES, cache=None)
    merged = Graph()
    for path in FILES.ontology_files():
        merged += parsed(path)
    assert len(knowledge.graph) == len(merged)  # the files' triples and nothing imported
    assert (URIRef(ONTOLOGY_IRI), OWL.imports, URIRef(f"{ONTOLOGY_IRI}/lesions")) in knowledge.graph
    assert len(knowledge.shapes) == sum(len(parsed(path)) for path in FILES.shape_files())


def test_inference_and_shacl_follow_no_import(
    no_network: list[tuple[object, ...]], tmp_path: Path
) -> None:
    ontology = Graph()
    ontology.add((URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology))
    ontology.add((URIRef(ONTOLOGY_IRI), OWL.imports, UNREACHABLE))
    closure = owl_rl_closure(ontology)
    assert (URIRef(ONTOLOGY_IRI), OWL.imports, UNREACHABLE) in closure
    shapes_path = tmp_path / "shapes.ttl"
    shapes_path.write_text(
        f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <{SHAPES_BASE}test> a owl:Ontology ; owl:imports <{UNREACHABLE}> .
        <{SHAPES_BASE}Thing> a sh:NodeShape ; sh:targetClass owl:Ontology ; sh:closed true .
        """,
        encoding="utf-8",
    )
    shapes = Graph().parse(shapes_path)
    report = run_pyshacl(ontology, shapes, Graph(), rules=True)  # the classification path
    assert (None, SH.focusNode, URIRef(ONTOLOGY_IRI)) in report
    failures = shape_failures(ontology, shapes_path)  # pedall check's path
    assert failures and all(failure.check == "shapes" for failure in failures)
