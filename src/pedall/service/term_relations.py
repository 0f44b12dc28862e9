"""How terms relate as a reader sees it: an OWL restriction in words, the named classes
whose restrictions name a term (a gene's lesions, a drug's targets), the risk criteria
whose condition shape names a class, and the domain kind a term belongs to."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from pedall.namespaces import PEDALL

# An OWL restriction's value predicates, as the words that join property and value.
RESTRICTION_WORDS: dict[URIRef, str] = {
    OWL.hasValue: "",
    OWL.someValuesFrom: "some",
    OWL.allValuesFrom: "only",
    OWL.minCardinality: "at least",
    OWL.maxCardinality: "at most",
    OWL.cardinality: "exactly",
    OWL.minQualifiedCardinality: "at least",
    OWL.maxQualifiedCardinality: "at most",
    OWL.qualifiedCardinality: "exactly",
}
CLASS_EXPRESSIONS = (RDFS.subClassOf, OWL.equivalentClass, OWL.intersectionOf, OWL.unionOf)
PROPERTY_TYPES = (
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDF.Property,
)
SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)


def restriction_parts(graph: Graph, node: BNode) -> list[Node] | None:
    """An OWL restriction as the nodes of its sentence: the property, the joining word
    (as a plain string node), the value, and the qualifying class; None for others."""
    on_property = graph.value(node, OWL.onProperty)
    if on_property is None:
        return None
    for predicate, word in RESTRICTION_WORDS.items():
        value = graph.value(node, predicate)
        if value is None:
            continue
        parts: list[Node] = [on_property]
        if word:
            parts.append(BNode(f"word:{word}"))
        parts.append(value)
        qualifier = graph.value(node, OWL.onClass) or graph.value(node, OWL.onDataRange)
        if qualifier is not None:
            parts.append(qualifier)
        return parts
    return None


def blank_descendants(graph: Graph, node: Node) -> Iterator[Node]:
    """Every node reached from ``node`` through blank nodes (restrictions, lists)."""
    pending, seen = [node], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for obj in graph.objects(current, None):
            yield obj
            if isinstance(obj, BNode):
                pending.append(obj)


def named_owner(graph: Graph, node: BNode) -> Iterator[URIRef]:
    """The named classes whose class expression holds the blank node ``node``."""
    pending, seen = [node], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for subject in graph.subjects(None, current):
            if isinstance(subject, URIRef):
                yield subject
            elif isinstance(subject, BNode):
                pending.append(subject)


def restricted_by(graph: Graph, iri: URIRef) -> list[tuple[URIRef, URIRef]]:
    """(property, class) for each named class with a restriction whose value is ``iri``:
    a gene's lesions (``involvesGene``), the lesions a drug targets (``targetedBy``)."""
    found = set()
    for predicate in RESTRICTION_WORDS:
        for restriction in graph.subjects(predicate, iri):
            on_property = graph.value(restriction, OWL.onProperty)
            if not isinstance(restriction, BNode) or not isinstance(on_property, URIRef):
                continue
            for owner in named_owner(graph, restriction):
                found.add((on_property, owner))
    return sorted(found, key=str)


def parents(graph: Graph, iri: URIRef) -> Iterator[Node]:
    """The named direct superclasses of ``iri``: its ``rdfs:subClassOf`` and the named
    classes of an ``owl:equivalentClass`` intersection (a defined patient class)."""
    yield from graph.objects(iri, RDFS.subClassOf)
    for equivalent in graph.objects(iri, OWL.equivalentClass):
        for members in graph.objects(equivalent, OWL.intersectionOf):
            yield from graph.items(members)


def superclasses(graph: Graph, iri: URIRef) -> set[URIRef]:
    """The named superclasses of ``iri``, transitively, ``iri`` included."""
    found, pending = {iri}, [iri]
    while pending:
        for parent in parents(graph, pending.pop()):
            if isinstance(parent, URIRef) and parent not in found:
                found.add(parent)
                pending.append(parent)
    return found


def criteria_naming(graph: Graph, iri: URIRef) -> list[URIRef]:
    """The risk criteria whose condition shape names ``iri`` or one of its superclasses
    (directly, or through the shapes it refers to)."""
    wanted = superclasses(graph, iri)
    criteria = []
    for criterion, shape in graph.subject_objects(PEDALL.condition):
        if not isinstance(criterion, URIRef):
            continue
        shapes, pending = {shape}, [shape]
        while pending:
            for node in blank_descendants(graph, pending.pop()):
                if node in wanted:
                    criteria.append(criterion)
                    pending = []
                    break
                if isinstance(node, URIRef) and node not in shapes and is_shape(graph, node):
                    shapes.add(node)
                    pending.append(node)
    return sorted(set(criteria), key=str)


def is_shape(graph: Graph, node: Node) -> bool:
    """Whether ``node`` is a SHACL shape."""
    return any((node, RDF.type, kind) in graph for kind in SHAPE_TYPES)


def domain_roots(graph: Graph, classes: set[URIRef]) -> list[URIRef]:
    """The most general pedall classes above ``classes``: the kinds of the domain."""
    roots: set[URIRef] = set()
    for cls in classes:
        pedall_parents = [
            parent for parent in superclasses(graph, cls) if str(parent).startswith(str(PEDALL))
        ]
        roots.update(
            parent
            for parent in pedall_parents
            if not any(
                str(grand).startswith(str(PEDALL)) and grand != parent
                for grand in parents(graph, parent)
            )
        )
    return sorted(roots, key=str)


def domain_kind(graph: Graph, iri: URIRef) -> URIRef | str:
    """What ``iri`` is in the domain: the root pedall class of the class it is (or of its
    types, for an individual); else "Properties", "SHACL shapes", "Ontology" or "Other"."""
    types = set(graph.objects(iri, RDF.type))
    if types & set(SHAPE_TYPES):
        return "SHACL shapes"
    if types & set(PROPERTY_TYPES):
        return "Properties"
    if OWL.Ontology in types:
        return "Ontology"
    if OWL.Class in types or (iri, RDFS.subClassOf, None) in graph:
        roots = domain_roots(graph, {iri})
    else:
        named = {kind for kind in types if isinstance(kind, URIRef)}
        roots = domain_roots(graph, {kind for kind in named if kind != OWL.NamedIndividual})
    return roots[0] if roots else "Other"
