"""The OWL RL closure cache: a second load reads it instead of inferring; a changed data
file, a damaged file or ``--no-cache`` means inferring again; what it holds is the closure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import owlrl
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase, owl_rl_closure
from pedall.knowledge.cache import ENV_CACHE_DIR, ENV_NO_CACHE, ClosureCache
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PEDALL

# A small ontology with what the real one has: a literal (OWL RL gives it generalized
# triples), a blank node (a restriction) and a subclass chain to infer.
MINI_ONTOLOGY = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix pedall: <https://w3id.org/pedall/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
pedall:ontology a owl:Ontology ; owl:versionInfo "test" .
pedall:RiskCriterion a owl:Class .
pedall:AgeCriterion a owl:Class ; rdfs:subClassOf pedall:RiskCriterion .
pedall:YoungAgeCriterion a owl:Class ; rdfs:subClassOf pedall:AgeCriterion ,
    [ a owl:Restriction ; owl:onProperty pedall:ageYears ; owl:hasValue 1.5 ] .
pedall:age-criterion a owl:NamedIndividual , pedall:YoungAgeCriterion .
"""
INFERRED = (PEDALL.YoungAgeCriterion, RDFS.subClassOf, PEDALL.RiskCriterion)


@pytest.fixture
def files(tmp_path: Path) -> DataFiles:
    root = tmp_path / "data"
    for kind in ("ontology", "shapes", "queries"):
        (root / kind).mkdir(parents=True)
    (root / "ontology" / "mini.ttl").write_text(MINI_ONTOLOGY, encoding="utf-8")
    return DataFiles(root)


@pytest.fixture
def cache(tmp_path: Path) -> ClosureCache:
    return ClosureCache(tmp_path / "cache")


@pytest.fixture
def inferences(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the OWL RL inferences run (one entry each)."""
    runs: list[int] = []
    expand = owlrl.DeductiveClosure.expand

    def counted(self: owlrl.DeductiveClosure, graph: Graph) -> None:
        runs.append(1)
        expand(self, graph)

    monkeypatch.setattr(owlrl.DeductiveClosure, "expand", counted)
    return runs


def no_inference(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: owlrl.DeductiveClosure, graph: Graph) -> None:
        raise AssertionError("owlrl was called: the cache was not used")

    monkeypatch.setattr(owlrl.DeductiveClosure, "expand", refuse)


def test_a_second_load_reads_the_cache_not_owlrl(
    files: DataFiles, cache: ClosureCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = KnowledgeBase(files, cache)
    computed, asserted = set(first.inferred), set(first.graph)
    assert INFERRED in computed
    no_inference(monkeypatch)
    second = KnowledgeBase(files, cache)
    assert isomorphic(second.inferred, first.inferred)
    assert isomorphic(second.graph, first.graph)
    assert len(second.inferred) == len(computed) and len(second.graph) == len(asserted)
    # One blank-node map for both graphs: the asserted restriction is in the closure.
    assert any(isinstance(s, BNode) for s, _, _ in second.graph)
    assert set(second.graph) <= set(second.inferred)
    assert dict(second.graph.namespaces()) == dict(first.graph.namespaces())


def test_the_graph_first_also_comes_from_the_cache(
    files: DataFiles, cache: ClosureCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    KnowledgeBase(files, cache).inferred  # noqa: B018  fills the cache
    no_inference(monkeypatch)
    loaded = KnowledgeBase(files, cache)
    graph = loaded.graph
    assert set(graph) <= set(loaded.inferred)
    assert INFERRED in loaded.inferred


def test_the_closure_differs_from_owlrl_only_by_generalized_triples(
    files: DataFiles, cache: ClosureCache
) -> None:
    kb = KnowledgeBase(files, cache)
    full = set(owl_rl_closure(kb.graph))
    dropped = full - set(kb.inferred)
    assert set(kb.inferred) <= full
    assert dropped, "OWL RL gives the literals generalized triples; this test needs some"
    assert all(isinstance(s, Literal) or not isinstance(p, URIRef) for s, p, _ in dropped)
    assert isomorphic(KnowledgeBase(files, cache).inferred, kb.inferred)  # from the cache


def test_a_changed_data_file_is_inferred_again(
    files: DataFiles, cache: ClosureCache, inferences: list[int]
) -> None:
    KnowledgeBase(files, cache).inferred  # noqa: B018
    ontology = files.folder("ontology") / "mini.ttl"
    ontology.write_text(
        MINI_ONTOLOGY + "pedall:OldAgeCriterion rdfs:subClassOf pedall:AgeCriterion .\n",
        encoding="utf-8",
    )
    changed = KnowledgeBase(files, cache).inferred
    assert len(inferences) == 2
    assert (PEDALL.OldAgeCriterion, RDFS.subClassOf, PEDALL.RiskCriterion) in changed
    KnowledgeBase(files, cache).inferred  # noqa: B018  the new closure is cached in turn
    assert len(inferences) == 2


def _truncate(text: str) -> str:
    return text[: len(text) // 2]


def _wrong_key(text: str) -> str:
    lines = text.split("\n")
    lines[1] = "# key " + "0" * 64
    return "\n".join(lines)


def _changed_triple(text: str) -> str:  # a valid triple, but not the one written
    return text.replace("RiskCriterion>", "OtherCriterion>", 1)


def _garbage(text: str) -> str:
    return text.replace("# inferred\n", "# inferred\nthis is not N-Triples\n")


def _binary(text: str) -> str:
    return "\udcff" + text


@pytest.mark.parametrize(
    "damage", [_truncate, _wrong_key, _changed_triple, _garbage, _binary, lambda text: ""]
)
def test_a_damaged_cache_file_is_rebuilt(
    files: DataFiles, cache: ClosureCache, inferences: list[int], damage: Callable[[str], str]
) -> None:
    first = KnowledgeBase(files, cache)
    expected = len(first.inferred)
    (path,) = cache.folder.glob("*.nt")
    path.write_bytes(damage(path.read_text(encoding="utf-8")).encode("utf-8", "surrogateescape"))
    rebuilt = KnowledgeBase(files, cache)
    assert len(rebuilt.inferred) == expected
    assert INFERRED in rebuilt.inferred
    assert len(inferences) == 2
    assert cache.read(cache.key(files)) is not None  # rewritten whole


def test_no_cache_infers_and_writes_nothing(
    files: DataFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inferences: list[int]
) -> None:
    folder = tmp_path / "user-cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(folder))
    monkeypatch.setenv(ENV_NO_CACHE, "1")
    assert ClosureCache.default() is None
    KnowledgeBase(files).inferred  # noqa: B018
    KnowledgeBase(files).inferred  # noqa: B018
    assert len(inferences) == 2
    assert not folder.exists()
    monkeypatch.delenv(ENV_NO_CACHE)
    assert ClosureCache.default() == ClosureCache(folder)


@pytest.mark.parametrize("no_cache", [False, True])
def test_the_no_cache_option(
    files: DataFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cache: bool
) -> None:
    folder = tmp_path / "user-cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(folder))
    monkeypatch.delenv(ENV_NO_CACHE, raising=False)
    options = ["--no-cache"] if no_cache else []
    arguments = [*options, "export", "--inferred", "--format", "nt", "--data-root"]
    result = CliRunner().invoke(main, [*arguments, str(files.root)])
    assert result.exit_code == 0, result.output
    assert "RiskCriterion" in result.stdout
    assert folder.exists() is not no_cache
    if not no_cache:
        assert len(list(folder.glob("*.nt"))) == 1


def test_the_query_store_text_comes_from_the_cache(
    files: DataFiles, cache: ClosureCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = KnowledgeBase(files, cache)
    expected = computed.inferred
    assert isomorphic(Graph().parse(data=computed.inferred_ntriples(), format="nt"), expected)
    no_inference(monkeypatch)

    def refuse(self: ClosureCache, key: str) -> None:
        raise AssertionError("the cache was read into rdflib graphs")

    monkeypatch.setattr(ClosureCache, "read", refuse)
    loaded = KnowledgeBase(files, cache)
    text = loaded.inferred_ntriples()  # the cached text as it is: no rdflib graph built
    assert isomorphic(Graph().parse(data=text, format="nt"), expected)


# Literals the cache's line reader must give back exactly: a plain and an explicitly typed
# string (different terms in RDF 1.1 as rdflib keeps them), a language tag's case, the
# escapes the writer makes, a raw U+2028 (a line end to str.splitlines) and a tab.
LITERALS = """
@prefix pedall: <https://w3id.org/pedall/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
pedall:Words rdfs:label "plain" , "typed"^^xsd:string , "colour"@en-GB , "12"^^xsd:integer ;
    rdfs:comment "say \\"hi\\"\\nback\\\\slash\\r\\tand\u2028more" , \"\"\"two
lines\"\"\" .
"""


def test_the_cache_gives_back_every_literal_exactly(
    files: DataFiles, cache: ClosureCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    (files.folder("ontology") / "words.ttl").write_text(LITERALS, encoding="utf-8")
    first = KnowledgeBase(files, cache)
    computed = first.inferred
    no_inference(monkeypatch)
    loaded = KnowledgeBase(files, cache)

    def written(graph: Graph) -> set[str]:  # each triple as N-Triples (exact terms)
        return {
            " ".join(term.n3() for term in triple)
            for triple in graph
            if not any(isinstance(term, BNode) for term in triple)
        }

    assert written(loaded.inferred) == written(computed)
    assert written(loaded.graph) == written(first.graph)
    labels = {label.n3() for label in loaded.graph.objects(PEDALL.Words, RDFS.label)}
    assert {'"plain"', '"colour"@en-GB'} <= labels
    assert '"typed"^^<http://www.w3.org/2001/XMLSchema#string>' in labels
