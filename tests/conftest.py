"""Shared fixtures: one knowledge base and one query store per test session (they are
read-only), and factories for anything a test changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph

from pedall.knowledge.base import KnowledgeBase
from pedall.query.sparql import build_store, oxigraph_triples
from service_server import RunningService, running_service


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base; its inferred closure is computed once per session."""
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def inferred_store(knowledge_base: KnowledgeBase) -> pyoxigraph.Store:
    """A query store with the knowledge graph and its inferred triples (never modify it)."""
    return build_store(knowledge_base.inferred)


@pytest.fixture
def make_graph() -> Callable[[str], Graph]:
    """A factory: a fresh rdflib graph parsed from a Turtle text."""

    def make(turtle: str) -> Graph:
        graph = Graph()
        graph.parse(data=turtle, format="turtle")
        return graph

    return make


@pytest.fixture
def make_data_root(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A factory: a data root under ``tmp_path`` whose ontology/ holds the given Turtle
    files (name -> text), with empty shapes/ and queries/ folders."""

    def make(ontology: dict[str, str]) -> Path:
        root = tmp_path / "data"
        for kind in ("ontology", "shapes", "queries"):
            (root / kind).mkdir(parents=True, exist_ok=True)
        for name, text in ontology.items():
            (root / "ontology" / name).write_text(text, encoding="utf-8")
        return root

    return make


@pytest.fixture
def parse_rdf() -> Callable[[bytes, pyoxigraph.RdfFormat], Graph]:
    """A factory: an rdflib graph from a serialization, parsed by pyoxigraph (rdflib's own
    JSON-LD parser emits deprecation warnings) and handed over as N-Triples."""

    def parse(body: bytes, rdf_format: pyoxigraph.RdfFormat) -> Graph:
        triples = pyoxigraph.parse(body, format=rdf_format)
        graph = Graph()
        graph.parse(
            data=pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES), format="nt"
        )
        return graph

    return parse


def _canonical(graph: Graph) -> pyoxigraph.Dataset:
    dataset = pyoxigraph.Dataset(
        pyoxigraph.Quad(triple.subject, triple.predicate, triple.object)
        for triple in oxigraph_triples(graph)
    )
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


@pytest.fixture
def same_triples() -> Callable[[Graph, Graph], bool]:
    """Whether two graphs hold the same triples up to blank node names (RDFC-1.0 in
    pyoxigraph: much faster than rdflib's ``isomorphic`` on graphs with many blank nodes)."""

    def same(first: Graph, second: Graph) -> bool:
        return _canonical(first) == _canonical(second)

    return same


@pytest.fixture(scope="session")
def pedall_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """One running ``pedall serve`` on loopback for the service tests (2 query workers,
    a 2-second query limit, 1 MB request bodies); started once, it loads in ~15 s."""
    log_path = tmp_path_factory.mktemp("service") / "serve.log"
    arguments = ("--query-timeout", "2", "--workers", "2", "--max-body-bytes", "1000000")
    with running_service(log_path, *arguments) as running:
        yield running
