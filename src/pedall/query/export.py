"""Export the knowledge graph as linked data (Turtle, JSON-LD, N-Triples, RDF/XML) and
describe what an export holds (VoID-style statistics).

The export holds the asserted triples, or with ``inferred=True`` also what OWL RL
inference adds, without what holds of everything in OWL and so tells nothing
(``is_tautology``): ``x owl:sameAs x`` (a third of the closure, and for a blank node an
axiom OWL 2 DL forbids, which HermiT refuses), each class a subclass and an equivalent of
itself, a subclass of ``owl:Thing`` and a superclass of ``owl:Nothing``, each property a
subproperty and an equivalent of itself, each thing of type ``owl:Thing``. Generalized
triples of the closure (a literal as subject, which owlrl produces and RDF does not
allow) are left out, so every export is plain RDF 1.1. Literals are written in canonical
form (``pedall.query.canonical_literals``).
JSON-LD carries its own ``@context`` built from ``pedall.namespaces.PREFIXES``: it never
points to a remote context.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from pedall import atomic_files as files
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import ONTOLOGY_IRI, PEDALL, PREFIXES
from pedall.query.canonical_literals import canonical_node
from pedall.query.sparql import oxigraph_triples

# A JSON-LD 1.1 processor uses a term as a prefix only when its IRI ends in one of these.
_GEN_DELIMS = frozenset(":/?#[]@")


@dataclass(frozen=True)
class ExportFormat:
    """One linked-data format: its short name, media type and file suffix."""

    name: str
    media_type: str
    suffix: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "ttl": ExportFormat("ttl", "text/turtle", ".ttl"),
    "jsonld": ExportFormat("jsonld", "application/ld+json", ".jsonld"),
    "nt": ExportFormat("nt", "application/n-triples", ".nt"),
    "xml": ExportFormat("xml", "application/rdf+xml", ".rdf"),
}
# rdflib writes these; JSON-LD is written by compact_jsonld.
_RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "xml": "xml"}


def jsonld_context(prefixes: dict[str, str] = PREFIXES) -> dict[str, str]:
    """The ``@context`` of the JSON-LD export: every prefix usable as one in JSON-LD 1.1.

    Prefixes such as ``NCIT:`` (``.../obo/NCIT_``) do not end in a delimiter, so JSON-LD
    writes those IRIs with ``obo:`` instead.

    >>> jsonld_context({"pedall": "https://w3id.org/pedall/", "NCIT": "http://x/NCIT_"})
    {'pedall': 'https://w3id.org/pedall/'}
    """
    return {
        prefix: namespace
        for prefix, namespace in sorted(prefixes.items())
        if namespace[-1] in _GEN_DELIMS
    }


def rdf_graph(source: Iterable[tuple[Node, Node, Node]]) -> Graph:
    """A graph of the triples of ``source`` without generalized ones, its literals in
    canonical form, with pedall's prefixes bound."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    for subject, predicate, obj in source:
        if not isinstance(subject, Literal) and isinstance(predicate, URIRef):
            graph.add((subject, predicate, canonical_node(obj)))
    return graph


_REFLEXIVE = frozenset(
    {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
)


def is_tautology(subject: Node, predicate: Node, obj: Node) -> bool:
    """Whether a triple holds of everything in OWL 2 (see the module docstring).

    >>> is_tautology(OWL.Nothing, RDFS.subClassOf, PEDALL.Lesion)
    True
    """
    if predicate in _REFLEXIVE and subject == obj:
        return True
    if predicate == RDF.type:
        return obj == OWL.Thing
    return predicate == RDFS.subClassOf and (obj == OWL.Thing or subject == OWL.Nothing)


def export_graph(knowledge_base: KnowledgeBase, *, inferred: bool = False) -> Graph:
    """The graph to export: the asserted ontology, or it and its inferred triples less the
    tautologies (``is_tautology``; the asserted triples are all kept)."""
    asserted = knowledge_base.graph
    if not inferred:
        return rdf_graph(asserted)
    return rdf_graph(
        triple
        for triple in knowledge_base.inferred
        if triple in asserted or not is_tautology(*triple)
    )


def serialize_graph(graph: Graph, format_name: str) -> bytes:
    """``graph`` in the export format called ``format_name`` (a key of ``EXPORT_FORMATS``)."""
    if format_name not in EXPORT_FORMATS:
        raise ValueError(
            f"unknown export format {format_name!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        )
    if format_name == "jsonld":
        return json.dumps(compact_jsonld(graph), indent=1, ensure_ascii=False).encode("utf-8")
    return graph.serialize(format=_RDFLIB_FORMATS[format_name], encoding="utf-8")


def compact_jsonld(graph: Graph) -> dict[str, Any]:
    """``graph`` as a JSON-LD document: one node object per subject, IRIs written as compact
    IRIs of ``jsonld_context()``, ``rdf:type`` as ``@type`` and plain strings as strings.

    pyoxigraph writes the triples as expanded JSON-LD, which keeps every triple (rdflib's
    JSON-LD writer folds RDF lists into ``@list`` and drops other triples about list nodes,
    which OWL RL closures have); this only shortens what it wrote and merges nodes.
    """
    context = jsonld_context()
    expanded = json.loads(
        ox.serialize(oxigraph_triples(graph), format=ox.RdfFormat.JSON_LD) or b"[]"
    )
    nodes: dict[str, dict[str, list[Any]]] = {}
    for node in expanded:
        properties = nodes.setdefault(node["@id"], {})
        for key, values in node.items():
            if key == "@id":
                continue
            if key == str(RDF.type):
                # JSON-LD 1.1 deprecates blank nodes as @type: those stay rdf:type values.
                named = [value for value in values if not value["@id"].startswith("_:")]
                properties.setdefault("@type", []).extend(
                    _compact_iri(value["@id"], context) for value in named
                )
                values = [value for value in values if value not in named]
            if values:
                properties.setdefault(_compact_iri(key, context), []).extend(
                    _compact_value(value, context) for value in values
                )
    graph_nodes = [
        {"@id": _compact_iri(node_id, context), **dict(sorted(nodes[node_id].items()))}
        for node_id in sorted(nodes)
    ]
    return {"@context": context, "@graph": graph_nodes}


def _compact_value(value: dict[str, str], context: dict[str, str]) -> str | dict[str, str]:
    if "@id" in value:
        return {"@id": _compact_iri(value["@id"], context)}
    if "@type" in value:
        return {**value, "@type": _compact_iri(value["@type"], context)}
    if "@language" in value:
        return value
    return value["@value"]


def _compact_iri(iri: str, context: dict[str, str]) -> str:
    """``prefix:local`` for the longest namespace of ``context`` that starts ``iri``.

    A local part starting with ``//`` would read as an absolute IRI, so it stays long.
    """
    best = ""
    for prefix, namespace in context.items():
        if iri.startswith(namespace) and len(namespace) > len(context.get(best, "")):
            best = prefix
    local = iri[len(context[best]) :] if best else ""
    if not best or not local or local.startswith("//"):
        return iri
    return f"{best}:{local}"


def write_atomically(content: bytes, path: Path) -> None:
    """Write a knowledge export to ``path`` whole (``pedall.atomic_files``): a new file
    gets mode 0666 less the umask, a replaced file keeps its mode."""
    files.write_atomically(content, path, private=False)


# Types that make a subject part of the schema rather than an individual of the domain.
_SCHEMA_TYPES = frozenset(
    {
        OWL.Class,
        OWL.Ontology,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.FunctionalProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.InverseFunctionalProperty,
        OWL.NamedIndividual,
        OWL.Restriction,
        OWL.AllDisjointClasses,
        RDF.Property,
    }
)


@dataclass(frozen=True)
class GraphStatistics:
    """What the knowledge graph holds: its release, triple counts and terms by kind."""

    ontology_iri: str
    version_iri: str | None
    version_info: str | None
    asserted_triples: int
    triples_with_inferred: int
    classes: int
    properties: int
    individuals: int
    individuals_by_class: dict[str, int] = field(default_factory=dict)
    risk_criteria: int = 0
    evidence_statements: int = 0

    @property
    def inferred_triples(self) -> int:
        """The triples that inference adds to the asserted ones."""
        return self.triples_with_inferred - self.asserted_triples


def graph_statistics(knowledge_base: KnowledgeBase) -> GraphStatistics:
    """Count what ``knowledge_base`` holds. Individuals are the IRIs typed with a class of
    the domain; ``individuals_by_class`` counts them under each asserted class (as a CURIE),
    so one with two classes counts under both. Criteria and evidence statements are
    counted with inference; ``triples_with_inferred`` counts the whole closure, as the SPARQL
    endpoint holds it (``export_graph`` leaves its tautologies out)."""
    asserted = knowledge_base.graph
    closure = rdf_graph(knowledge_base.inferred)  # what the SPARQL endpoint holds, all of it
    ontology = URIRef(ONTOLOGY_IRI)
    version_iri = asserted.value(ontology, OWL.versionIRI)
    version_info = asserted.value(ontology, OWL.versionInfo)
    properties = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    by_class: Counter[str] = Counter()
    individuals = 0
    for subject in {node for node in asserted.subjects(RDF.type, None) if isinstance(node, URIRef)}:
        types = set(asserted.objects(subject, RDF.type))
        domain_types = types - _SCHEMA_TYPES
        if domain_types and types & _SCHEMA_TYPES <= {OWL.NamedIndividual}:
            individuals += 1
            by_class.update(asserted.namespace_manager.curie(str(kind)) for kind in domain_types)
    return GraphStatistics(
        ontology_iri=ONTOLOGY_IRI,
        version_iri=None if version_iri is None else str(version_iri),
        version_info=None if version_info is None else str(version_info),
        asserted_triples=len(rdf_graph(asserted)),
        triples_with_inferred=len(closure),
        classes=sum(
            1 for node in asserted.subjects(RDF.type, OWL.Class) if isinstance(node, URIRef)
        ),
        properties=len({node for kind in properties for node in asserted.subjects(RDF.type, kind)}),
        individuals=individuals,
        individuals_by_class=dict(sorted(by_class.items())),
        risk_criteria=len(set(closure.subjects(RDF.type, PEDALL.RiskCriterion))),
        evidence_statements=len(set(closure.subjects(RDF.type, PEDALL.EvidenceStatement))),
    )
