"""pedall.query.export: every format parses back to the same triples; --inferred adds inference."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PREFIXES
from pedall.query.export import (
    EXPORT_FORMATS,
    export_graph,
    graph_statistics,
    jsonld_context,
    rdf_graph,
    serialize_graph,
    write_atomically,
)
from pedall.query.sparql import GRAPH_MEDIA_TYPES

OXIGRAPH_FORMATS = {
    "ttl": pyoxigraph.RdfFormat.TURTLE,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "xml": pyoxigraph.RdfFormat.RDF_XML,
}

ParseRdf = Callable[[bytes, pyoxigraph.RdfFormat], Graph]
SameTriples = Callable[[Graph, Graph], bool]


@pytest.fixture(scope="module")
def asserted(knowledge_base: KnowledgeBase) -> Graph:
    return export_graph(knowledge_base)


@pytest.fixture(scope="module")
def with_inferred(knowledge_base: KnowledgeBase) -> Graph:
    return export_graph(knowledge_base, inferred=True)


@pytest.mark.slow  # serializes and parses the whole graph
@pytest.mark.parametrize("format_name", sorted(EXPORT_FORMATS))
def test_asserted_export_parses_back_to_the_same_triples(
    asserted: Graph,
    knowledge_base: KnowledgeBase,
    parse_rdf: ParseRdf,
    same_triples: SameTriples,
    format_name: str,
) -> None:
    body = serialize_graph(asserted, format_name)
    assert same_triples(parse_rdf(body, OXIGRAPH_FORMATS[format_name]), knowledge_base.graph)


@pytest.mark.slow  # serializes and parses the whole graph
@pytest.mark.parametrize("format_name", sorted(EXPORT_FORMATS))
def test_inferred_export_parses_back_to_the_same_triples(
    with_inferred: Graph, parse_rdf: ParseRdf, same_triples: SameTriples, format_name: str
) -> None:
    body = serialize_graph(with_inferred, format_name)
    assert same_triples(parse_rdf(body, OXIGRAPH_FORMATS[format_name]), with_inferred)


def test_inferred_export_holds_inferred_types_the_asserted_one_lacks(
    asserted: Graph, with_inferred: Graph, knowledge_base: KnowledgeBase
) -> None:
    added = set(with_inferred) - set(asserted)
    assert added
    assert added <= set(knowledge_base.inferred) - set(knowledge_base.graph)
    inferred_types = {triple for triple in added if triple[1] == RDF.type}
    assert inferred_types, "inference should add rdf:type triples (e.g. from rdfs:subClassOf)"
    assert set(asserted) == set(knowledge_base.graph)


def test_same_triples_sees_a_difference(asserted: Graph, same_triples: SameTriples) -> None:
    changed = rdf_graph(asserted)
    changed.remove(next(iter(changed)))
    assert not same_triples(asserted, changed)


def test_generalized_triples_are_left_out() -> None:
    source = Graph()
    kept = (URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal("x"))
    source.add(kept)
    source.add((Literal("x"), URIRef("http://example.org/p"), URIRef("http://example.org/a")))
    assert set(rdf_graph(source)) == {kept}


def test_jsonld_has_an_inline_context_of_pedall_prefixes(asserted: Graph) -> None:
    document = json.loads(serialize_graph(asserted, "jsonld"))
    context = document["@context"]
    assert isinstance(context, dict)
    assert context["pedall"] == PREFIXES["pedall"]
    assert context == jsonld_context()
    assert all(namespace[-1] in ":/?#[]@" for namespace in context.values())
    ids = {node["@id"] for node in document["@graph"]}
    assert "pedall:BCR-ABL1" in ids


def test_turtle_uses_the_pedall_prefix(asserted: Graph) -> None:
    text = serialize_graph(asserted, "ttl").decode()
    assert "@prefix pedall: <https://w3id.org/pedall/> ." in text
    assert "pedall:BCR-ABL1" in text


def test_unknown_format_is_refused(asserted: Graph) -> None:
    with pytest.raises(ValueError, match="unknown export format 'owl'"):
        serialize_graph(asserted, "owl")


def test_write_atomically_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_bytes(b"old")
    write_atomically(b"new", path)
    assert path.read_bytes() == b"new"
    assert [entry.name for entry in tmp_path.iterdir()] == ["graph.ttl"]


def test_write_atomically_leaves_no_partial_file_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: str, target: Path) -> None:
        raise OSError("rename failed")

    path = tmp_path / "graph.nt"
    path.write_bytes(b"previous export")
    monkeypatch.setattr("pedall.atomic_files.os.replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        write_atomically(b"new export", path)
    assert [entry.name for entry in tmp_path.iterdir()] == ["graph.nt"]
    assert path.read_bytes() == b"previous export"


STATISTICS_ONTOLOGY = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix pedall: <https://w3id.org/pedall/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
pedall:ontology a owl:Ontology ;
    owl:versionIRI <https://w3id.org/pedall/ontology/test> ;
    owl:versionInfo "test" .
pedall:RiskCriterion a owl:Class .
pedall:EvidenceStatement a owl:Class .
pedall:AgeCriterion a owl:Class ; rdfs:subClassOf pedall:RiskCriterion .
pedall:about a owl:ObjectProperty .
pedall:age-criterion a owl:NamedIndividual , pedall:AgeCriterion .
pedall:wbc-criterion a pedall:RiskCriterion .
pedall:ev-age a pedall:EvidenceStatement ; pedall:about pedall:age-criterion .
"""


def test_graph_statistics_count_terms_by_kind(
    make_data_root: Callable[[dict[str, str]], Path],
) -> None:
    statistics = graph_statistics(
        KnowledgeBase.load(make_data_root({"mini.ttl": STATISTICS_ONTOLOGY}))
    )
    assert statistics.version_iri == "https://w3id.org/pedall/ontology/test"
    assert statistics.version_info == "test"
    assert statistics.asserted_triples == 13
    assert statistics.inferred_triples == statistics.triples_with_inferred - 13 > 0
    assert (statistics.classes, statistics.properties, statistics.individuals) == (3, 1, 3)
    assert statistics.individuals_by_class == {
        "pedall:AgeCriterion": 1,
        "pedall:EvidenceStatement": 1,
        "pedall:RiskCriterion": 1,
    }
    assert statistics.risk_criteria == 2  # the AgeCriterion one by inference
    assert statistics.evidence_statements == 1


def test_jsonld_is_compact_and_keeps_every_triple(
    make_graph: Callable[[str], Graph], parse_rdf: ParseRdf, same_triples: SameTriples
) -> None:
    graph = make_graph(
        """
        @prefix pedall: <https://w3id.org/pedall/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        pedall:x a pedall:Lesion , _:restriction ; rdfs:label "x"@en ;
            pedall:karyotype "t(1;19)" ; pedall:rank 2 ; pedall:list ( pedall:a pedall:b ) .
        _:restriction a pedall:Restriction .
        """
    )
    body = serialize_graph(graph, "jsonld")
    assert same_triples(parse_rdf(body, pyoxigraph.RdfFormat.JSON_LD), graph)
    (node,) = [node for node in json.loads(body)["@graph"] if node["@id"] == "pedall:x"]
    assert node["@type"] == ["pedall:Lesion"]
    assert node["rdf:type"][0]["@id"].startswith("_:")  # blank node types stay rdf:type
    assert node["pedall:karyotype"] == ["t(1;19)"]
    assert node["rdfs:label"] == [{"@language": "en", "@value": "x"}]
    assert node["pedall:rank"] == [{"@type": "xsd:integer", "@value": "2"}]


def test_export_formats_table() -> None:
    assert all(name == export_format.name for name, export_format in EXPORT_FORMATS.items())
    assert {export_format.media_type for export_format in EXPORT_FORMATS.values()} <= set(
        GRAPH_MEDIA_TYPES
    )
    assert len({export_format.suffix for export_format in EXPORT_FORMATS.values()}) == 4
