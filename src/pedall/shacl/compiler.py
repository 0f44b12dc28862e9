"""Compile the SHACL shapes pedall uses (node and property shapes, SHACL-AF triple rules)
into the evaluable shapes of ``pedall.shacl.shapes``.

This is the fast engine's reading of ``shapes/``: nothing clinical is written here, every
threshold and code comes from the shapes. The supported subset is what the shapes use;
anything else is a ``DataFileError`` that names the construct, so a new kind of shape
cannot be silently misread (the reference engine, pyshacl, reads any shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from pedall.errors import DataFileError
from pedall.shacl.shapes import NUMERIC_CONSTRAINTS, NodeShape, PropertyShape, TripleRule, ValueTest
from pedall.shacl.values import to_native

RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")
SKOS_DEFINITION = URIRef("http://www.w3.org/2004/02/skos/core#definition")
SKOS_EDITORIAL_NOTE = URIRef("http://www.w3.org/2004/02/skos/core#editorialNote")
PEDALL_SECTION = URIRef("https://w3id.org/pedall/section")
# Where a data-quality issue of a node-level constraint is reported (see pedall.validate).
REPORTED_PATH = URIRef("https://w3id.org/pedall/reportedPath")
_ANNOTATION_KEYS = {
    RDFS_LABEL,
    RDFS_COMMENT,
    DCTERMS_SOURCE,
    SKOS_DEFINITION,
    SKOS_EDITORIAL_NOTE,
    PEDALL_SECTION,
}
_PROPERTY_KEYS = {
    *_ANNOTATION_KEYS,
    SH.deactivated,
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.hasValue,
    SH["in"],
    SH["class"],
    SH.datatype,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    *NUMERIC_CONSTRAINTS,
}
_NODE_KEYS = {SH.property, SH["and"], SH["or"], SH["not"], SH.node, SH["class"]}
_IGNORED_KEYS = {
    RDF.type,
    *_ANNOTATION_KEYS,
    REPORTED_PATH,
    SH.targetClass,
    SH.targetNode,
    SH.rule,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.deactivated,
    SH.order,
}


class CompiledShapes(Protocol):
    """What the engines and the data-quality checks ask of the shapes: a compiler over a
    shapes graph, or the compiled-shapes cache (``pedall.knowledge.shape_cache``)."""

    def node_shape(self, node: URIRef) -> NodeShape: ...

    def triple_rules(self, target_class: str) -> list[TripleRule]: ...

    def node_shapes_targeting(self, target_class: str) -> list[NodeShape]: ...


@dataclass
class ShapeCompiler:
    """Compiles shapes from one shapes graph, caching each node shape once."""

    graph: Graph
    _cache: dict[str, NodeShape] = field(default_factory=dict)

    def node_shape(self, node: URIRef | BNode) -> NodeShape:
        key = str(node)
        if key not in self._cache:
            self._cache[key] = self._compile_node(node)
        return self._cache[key]

    def _compile_node(self, node: URIRef | BNode) -> NodeShape:
        graph = self.graph
        unknown = {
            p for p in graph.predicates(node) if p not in _NODE_KEYS and p not in _IGNORED_KEYS
        }
        if unknown:
            raise DataFileError(
                f"shape {node}: the fast engine does not support {sorted(map(str, unknown))}; "
                "use --engine reference or extend pedall.shacl.compiler"
            )
        properties = tuple(self._compile_property(p) for p in graph.objects(node, SH.property))
        all_of = tuple(
            self.node_shape(s) for lst in graph.objects(node, SH["and"]) for s in self._list(lst)
        )
        all_of += tuple(self.node_shape(s) for s in graph.objects(node, SH.node))  # type: ignore[arg-type]
        any_of = tuple(
            tuple(self.node_shape(s) for s in self._list(lst))
            for lst in graph.objects(node, SH["or"])
        )
        none_of = tuple(self.node_shape(s) for s in graph.objects(node, SH["not"]))  # type: ignore[arg-type]
        classes = tuple(str(c) for c in graph.objects(node, SH["class"]))
        reported = graph.value(node, REPORTED_PATH)
        return NodeShape(
            str(node),
            properties,
            all_of,
            any_of,
            none_of,
            classes,
            message=_text(graph.value(node, SH.message)),
            severity=_severity(graph.value(node, SH.severity)),
            reported_path=str(reported) if reported is not None else None,
            deactivated=_true(graph.value(node, SH.deactivated)),
        )

    def _list(self, head: object) -> list[URIRef | BNode]:
        assert isinstance(head, (URIRef, BNode))
        return [n for n in Collection(self.graph, head) if isinstance(n, (URIRef, BNode))]

    def _compile_property(self, node: object) -> PropertyShape:
        graph = self.graph
        assert isinstance(node, (URIRef, BNode))
        unknown = {p for p in graph.predicates(node) if p not in _PROPERTY_KEYS and p != RDF.type}
        if unknown:
            raise DataFileError(
                f"property shape {node}: the fast engine does not support "
                f"{sorted(map(str, unknown))}; use --engine reference"
            )
        path = graph.value(node, SH.path)
        if not isinstance(path, URIRef):
            raise DataFileError(f"property shape {node}: only simple predicate paths are supported")
        tests: list[ValueTest] = []
        for predicate in NUMERIC_CONSTRAINTS:
            for value in graph.objects(node, predicate):
                tests.append(ValueTest(str(predicate).rsplit("#", 1)[1], to_native(value)))
        for lst in graph.objects(node, SH["in"]):
            allowed = tuple(to_native(v) for v in Collection(graph, lst))
            tests.append(ValueTest("in", allowed))
        for cls in graph.objects(node, SH["class"]):
            tests.append(ValueTest("class", str(cls)))
        for datatype in graph.objects(node, SH.datatype):
            tests.append(ValueTest("datatype", str(datatype)))
        qualified_node = graph.value(node, SH.qualifiedValueShape)
        return PropertyShape(
            node=str(node),
            path=str(path),
            min_count=_int(graph.value(node, SH.minCount)),
            max_count=_int(graph.value(node, SH.maxCount)),
            has_value=tuple(to_native(v) for v in graph.objects(node, SH.hasValue)),
            tests=tuple(tests),
            qualified=self.node_shape(qualified_node)
            if isinstance(qualified_node, (URIRef, BNode))
            else None,
            qualified_min=_int(graph.value(node, SH.qualifiedMinCount)),
            qualified_max=_int(graph.value(node, SH.qualifiedMaxCount)),
            message=_text(graph.value(node, SH.message)),
            severity=_severity(graph.value(node, SH.severity)),
            deactivated=_true(graph.value(node, SH.deactivated)),
        )

    def node_shapes_targeting(self, target_class: str) -> list[NodeShape]:
        """The node shapes with ``sh:targetClass target_class``, compiled, by IRI."""
        targets = set(self.graph.subjects(SH.targetClass, URIRef(target_class)))
        return [self.node_shape(t) for t in sorted(targets, key=str)]  # type: ignore[arg-type]

    def triple_rules(self, target_class: str) -> list[TripleRule]:
        """Every ``sh:TripleRule`` of the node shapes targeting ``target_class``, in order."""
        graph = self.graph
        rules = []
        for shape in graph.subjects(SH.targetClass, URIRef(target_class)):
            for rule in graph.objects(shape, SH.rule):
                if (rule, RDF.type, SH.TripleRule) not in graph:
                    raise DataFileError(
                        f"{shape}: only sh:TripleRule is supported by the fast engine"
                    )
                if graph.value(rule, SH.subject) != SH.this:
                    raise DataFileError(f"{shape}: a triple rule's subject must be sh:this")
                predicate = graph.value(rule, SH.predicate)
                obj = graph.value(rule, SH.object)
                if not isinstance(predicate, URIRef) or obj is None or isinstance(obj, BNode):
                    raise DataFileError(
                        f"{shape}: a triple rule needs a constant predicate and object"
                    )
                order = graph.value(rule, SH.order)
                conditions = tuple(
                    self.node_shape(c)  # type: ignore[arg-type]
                    for c in graph.objects(rule, SH.condition)
                )
                rules.append(
                    TripleRule(
                        order=float(order.toPython()) if isinstance(order, Literal) else 0.0,
                        conditions=conditions,
                        predicate=str(predicate),
                        object=to_native(obj),
                        source_shape=str(shape),
                    )
                )
        rules.sort(key=lambda r: (r.order, r.source_shape, r.predicate, str(r.object)))
        return rules


def _int(term: object) -> int | None:
    return int(term.toPython()) if isinstance(term, Literal) else None


def _text(term: object) -> str | None:
    return str(term) if term is not None else None


def _severity(term: object) -> str:
    """``Violation``, ``Warning`` or ``Info`` (the local name of the sh:severity IRI)."""
    return str(term).rsplit("#", 1)[-1] if term is not None else "Violation"


def _true(term: object) -> bool:
    return isinstance(term, Literal) and term.toPython() is True
