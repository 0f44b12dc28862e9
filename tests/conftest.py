"""Shared fixtures: one knowledge base and one query store per test session (they are
read-only), and factories for anything a test changes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph
import pytest
from rdflib import Graph

from cli_runner import CliInvoke, cli_with
from pedall.classify.schemes import Schemes, read_schemes
from pedall.knowledge.base import KnowledgeBase
from pedall.query.sparql import build_store, oxigraph_triples
from service_server import RunningService, running_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Debian's Chromium (`make browser` installs it); Playwright drives it and never downloads one.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Fixtures (by name, in this file and in the test modules) that start real components; a
# test that uses one, directly or through another fixture, is slow: `make test-fast`
# leaves it out. Name a new such fixture here, or mark its tests `@pytest.mark.slow`.
SLOW_FIXTURES = frozenset(
    {
        "pedall_service",  # `pedall serve` in a subprocess (and its workers)
        "bounded_service",
        "service",
        "client",  # the app in process (TestClient: its lifespan starts the worker
        "http",  # processes), or an HTTP client of a running service
        "pool",  # a pool of query worker processes
        "browser",  # headless Chromium
        "page",
        "oxigraph_server",  # `oxigraph serve`
        "spark",  # a Spark session
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as slow every test that starts a real component (``SLOW_FIXTURES``) and every
    case parametrized with the reference engine (pyshacl and the OWL RL closure, seconds
    each); the fast engine's cases, and the differential tests, keep the two agreeing."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        params = item.callspec.params.values() if hasattr(item, "callspec") else ()
        if SLOW_FIXTURES.intersection(item.fixturenames) or any(
            isinstance(value, str) and value == "reference" for value in params
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module", autouse=True)
def _collect_the_modules_garbage() -> Iterator[None]:
    """Free each module's cyclic garbage at its end, on the main thread that made most of
    it. Left to chance, the collector runs on whichever thread allocates next (a service's
    start-up thread, say): pyoxigraph's query answers may only be freed on the thread that
    made them, and one freed elsewhere is an unraisable error that fails an unrelated test
    (the error at the setup of the security-header tests in a CI run of 2026-12-02).

    What survives is frozen (``gc.freeze``): the session's knowledge base, toolkits and
    caches live to the end, and no later collection, automatic ones included, walks them
    again (each module's collection had walked some 700,000 objects, about a second)."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base; its inferred closure is computed once per session."""
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def cli(knowledge_base: KnowledgeBase) -> CliInvoke:
    """Run ``pedall ARGS...`` in-process with the session's knowledge base injected."""
    return cli_with(knowledge_base)


@pytest.fixture(scope="session")
def schemes(knowledge_base: KnowledgeBase) -> Schemes:
    """The shipped risk schemes in report order (the primary first)."""
    return read_schemes(knowledge_base.graph)


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the browser tests of one module (Playwright's sync API keeps
    its own event loop, so it is not shared across modules)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make browser`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, pedall_service: RunningService) -> Iterator[Page]:
    """A fresh page on the running service; the test fails when the page requested
    anything from outside the service."""
    context = browser.new_context(base_url=pedall_service.base_url)
    opened = context.new_page()
    outside: list[str] = []
    opened.on(
        "request",
        lambda request: (
            None if request.url.startswith(pedall_service.base_url) else outside.append(request.url)
        ),
    )
    yield opened
    context.close()
    assert outside == [], "the pages load nothing from outside the service"
