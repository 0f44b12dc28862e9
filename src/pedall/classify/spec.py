"""What both classification engines need from one knowledge base, built in one place.

The schemes in report order (``pedall.classify.schemes``), the shapes of the
``classification`` shape group, their SHACL-AF rules and each criterion's compiled
condition, the domains of the fields they read (``pedall.classify.completion``), and the
fields each criterion reads. The fast engine evaluates the compiled rules; the reference
engine hands the same shapes to pyshacl; both enumerate or search the same domains.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from pedall.classify.completion import FieldDomain, field_domains
from pedall.classify.schemes import Schemes, read_schemes
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.shape_cache import ShapeGroup
from pedall.namespaces import PEDALL
from pedall.patients.model import PatientModel
from pedall.shacl.rules import rule_dependencies
from pedall.shacl.shapes import NodeShape, TripleRule

CLASSIFICATION_SHAPES = "classification"  # the shape group both engines load


@dataclass(frozen=True)
class EngineSpec:
    """The classification as both engines read it."""

    model: PatientModel
    schemes: Schemes
    ontology: Graph
    shape_group: ShapeGroup  # the classification shape group, compiled
    rules: tuple[TripleRule, ...]  # those of pedall:Patient, in order
    conditions: dict[str, NodeShape]  # by criterion IRI
    domains: dict[str, FieldDomain]
    criterion_inputs: dict[str, frozenset[str]]  # the open-able fields each criterion reads
    read_paths: frozenset[str]  # every path a rule condition reads

    @property
    def shapes(self) -> Graph:
        """The classification shapes as a graph, for pyshacl (parsed on first use)."""
        return self.shape_group.graph

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, model: PatientModel | None = None) -> EngineSpec:
        model = model or PatientModel.from_knowledge(kb)
        shapes = kb.shape_group(CLASSIFICATION_SHAPES)
        rules = shapes.triple_rules(str(PEDALL.Patient))
        schemes = read_schemes(kb.graph)
        conditions = {
            c.iri: shapes.node_shape(URIRef(c.condition))
            for s in schemes.values()
            for c in s.criteria
        }
        shapes.save()
        domains = field_domains(model, rules, list(conditions.values()))
        derived = rule_dependencies(rules)
        inputs: dict[str, frozenset[str]] = {}
        for iri, condition in conditions.items():
            paths = condition.paths()
            expanded = set(paths)
            for path in paths:
                expanded |= derived.get(path, set())
            inputs[iri] = frozenset(p for p in expanded if p in domains)
        read = frozenset(p for r in rules for c in r.conditions for p in c.paths())
        return cls(
            model, schemes, kb.graph, shapes, tuple(rules), conditions, domains, inputs, read
        )
