"""What the calculator's result says about the risk schemes, read from the graph and the
shapes: each criterion's definition, its thresholds in words with their sources (the
derived findings its condition shape rests on: a poor prephase response is "Peripheral
blasts at or above the poor-response cutoff ...: peripheral blasts after prephase steroid
(per microliter) at least 1,000", the label of the condition followed by its bounds, so a
number is written only once, as the bound), the project's reading of it, and each scheme
with its groups (rank, how their criteria combine, their conditions) and its definition.

The page turns a classification (the API's JSON) into sentences with this data; no
clinical text is written in Python or JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rdflib import RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH
from rdflib.term import Node

from pedall.classify.schemes import Criterion, Scheme, read_schemes
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.service.term_relations import blank_descendants, is_shape

# SHACL's bound kinds in words, lower bounds first.
BOUND_WORDS = (
    (SH.minInclusive, "at least"),
    (SH.minExclusive, "above"),
    (SH.maxInclusive, "at most"),
    (SH.maxExclusive, "under"),
)


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    return "" if value is None else str(value)


def _number(bound: Literal) -> str:
    """A bound as a person writes it: 1000 is "1,000", 1.0 is "1", 0.01 stays."""
    value = Decimal(str(bound))
    return format(value.normalize(), ",f") if value == value.to_integral() else str(value)


def bounds_in_words(graph: Graph, shapes: Graph, shape: Node) -> str:
    """The numeric bounds of a condition shape's property shapes in words, each after the
    label of the property it bounds: "modal chromosome number at least 32 and at most 39"."""
    phrases = []
    for property_shape in sorted(shapes.objects(shape, SH.property), key=str):
        bounds = [
            f"{words} {_number(bound)}"
            for kind, words in BOUND_WORDS
            for bound in shapes.objects(property_shape, kind)
            if isinstance(bound, Literal)
        ]
        path = shapes.value(property_shape, SH.path)
        if bounds and path is not None:
            name = _text(graph, path, RDFS.label) or str(path)
            phrases.append(f"{name} {' and '.join(bounds)}")
    return "; ".join(phrases)


def _threshold_text(graph: Graph, shapes: Graph, condition: Node) -> str:
    label = _text(shapes, condition, RDFS.label)
    bounds = bounds_in_words(graph, shapes, condition)
    return f"{label}: {bounds}" if bounds else label


def condition_nodes(shapes: Graph, shape: URIRef) -> Iterator[Node]:
    """Every node a condition shape names, through blank nodes, lists and the named
    shapes it refers to (``sh:node``, ``sh:not``, ``sh:or`` ...)."""
    seen, pending = {shape}, [shape]
    while pending:
        for node in blank_descendants(shapes, pending.pop()):
            yield node
            if isinstance(node, URIRef) and node not in seen and is_shape(shapes, node):
                seen.add(node)
                pending.append(node)


def thresholds(graph: Graph, shapes: Graph, shape: URIRef) -> list[dict[str, object]]:
    """The thresholds a condition rests on: for each value it names that a rule derives
    (``sh:object`` of a rule), the label and bounds, sources and section of that rule's
    condition."""
    found: list[dict[str, object]] = []
    seen: set[Node] = set()
    for node in condition_nodes(shapes, shape):
        for rule in shapes.subjects(SH.object, node):
            condition = shapes.value(rule, SH.condition)
            if condition is None or condition in seen:
                continue
            seen.add(condition)
            found.append(
                {
                    "text": _threshold_text(graph, shapes, condition),
                    "sources": sorted(str(s) for s in shapes.objects(condition, DCTERMS.source)),
                    "section": _text(shapes, condition, PEDALL.section),
                }
            )
    return found


def criterion_words(graph: Graph, shapes: Graph, criterion: Criterion) -> dict[str, object]:
    iri = URIRef(criterion.iri)
    return {
        "label": criterion.label,
        "group": criterion.group_code,
        "definition": _text(graph, iri, SKOS.definition),
        "interpretation": _text(graph, iri, PEDALL.interpretation),
        "condition": criterion.condition,
        "thresholds": thresholds(graph, shapes, URIRef(criterion.condition)),
        "sources": list(criterion.sources),
        "section": criterion.section,
    }


def scheme_words(graph: Graph, scheme: Scheme) -> dict[str, object]:
    iri = URIRef(scheme.iri)
    return {
        "iri": scheme.iri,
        "label": scheme.label,
        "definition": _text(graph, iri, SKOS.definition),
        "sources": sorted(str(s) for s in graph.objects(iri, DCTERMS.source)),
        "section": _text(graph, iri, PEDALL.section),
        "groups": [
            {
                "code": group.code,
                # The code in words: "very-high" reads "very high".
                "words": group.code.replace("-", " "),
                "label": group.label,
                "definition": _text(graph, URIRef(group.iri), SKOS.definition),
                "rank": group.rank,
                "any_of": group.any_of,
                "criteria": [c.iri for c in group.criteria],
            }
            for group in scheme.groups
        ],
    }


def calculator_words(knowledge: KnowledgeBase) -> dict[str, object]:
    """The schemes and their criteria in words, as the calculator page embeds them: the
    primary scheme as ``scheme``, every other one under its report key (``nci_rome``) and
    listed, in report order, in ``others``."""
    graph, shapes = knowledge.graph, knowledge.shapes
    schemes = read_schemes(graph)
    others = {
        s.report_key: {**scheme_words(graph, s), "key": s.report_key, "name": s.report_label}
        for s in schemes.secondary
    }
    return {
        "scheme": {**scheme_words(graph, schemes.primary), "key": schemes.primary.report_key},
        **others,
        "others": list(others.values()),
        "criteria": {
            c.iri: criterion_words(graph, shapes, c)
            for scheme in schemes.reported
            for c in scheme.criteria
        },
    }
