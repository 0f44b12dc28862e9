"""What a term of the pedall namespace shows: its RDF description (the concise bounded
description: the triples about it, following blank nodes such as OWL restrictions and
lists) and its page (labels, definition, mappings, evidence, links to and from it), with
literals in canonical form (``pedall.query.canonical_literals``), as the endpoint and the
exports write them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from pedall.namespaces import PEDALL, PREFIXES
from pedall.query.canonical_literals import canonical_node
from pedall.service.graph_downloads import serialize_for
from pedall.service.term_names import MAPPING_PREDICATES, compact, local_name, term_iri
from pedall.service.term_relations import (
    criteria_naming,
    domain_kind,
    restricted_by,
    restriction_parts,
)
from pedall.service.term_search import TermSearch

__all__ = ["MAPPING_PREDICATES", "TermViews", "compact", "local_name", "term_iri"]

LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
SHOWN_APART = {
    RDF.type,
    SKOS.definition,
    DCTERMS.source,
    PEDALL.section,
    *LABEL_PREDICATES,
    *MAPPING_PREDICATES,
}
MAX_INCOMING_LINKS = 200
SERIALIZED_DESCRIPTIONS = 4_096  # bound on the descriptions kept serialized (memory, not data)


def ordered(nodes: Iterable[Node]) -> list[Node]:
    """Nodes in a stable order (by their text), for pages that read the same every time."""
    return sorted(nodes, key=str)


def concise_description(graphs: Sequence[Graph], subject: Node) -> Graph:
    """The triples about ``subject`` in the union of ``graphs``, following blank-node
    objects (read from each graph in place: building the union costs far more)."""
    description = Graph()
    for prefix, namespace in PREFIXES.items():
        description.bind(prefix, namespace, override=True)
    pending, seen = [subject], set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for graph in graphs:
            for _, predicate, obj in graph.triples((node, None, None)):
                if isinstance(node, Literal) or not isinstance(predicate, URIRef):
                    continue
                description.add((node, predicate, canonical_node(obj)))
                if isinstance(obj, BNode):
                    pending.append(obj)
    return description


@dataclass(frozen=True)
class Link:
    """A node as shown on a page: its text, and where it links (None for a literal)."""

    text: str
    href: str | None = None
    title: str | None = None
    parts: tuple[Link, ...] = ()  # a blank node: its predicates and objects, in order
    words: bool = False  # the parts read as a sentence (an OWL restriction)


@dataclass
class TermPage:
    """What the page of one term shows."""

    iri: str
    curie: str
    title: str
    labels: list[tuple[str, str]] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    types: list[Link] = field(default_factory=list)
    inferred_types: list[Link] = field(default_factory=list)
    mappings: list[tuple[str, Link]] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    properties: list[tuple[Link, list[Link]]] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    incoming: list[tuple[Link, Link]] = field(default_factory=list)
    kind: str = ""
    criteria: list[Link] = field(default_factory=list)
    restricted_by: list[tuple[Link, list[Link]]] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceItem:
    """A statement or figure about the term, with its text, source and section."""

    link: Link
    text: str
    sources: list[Link]
    sections: list[str]


class TermViews:
    """Builds term pages and descriptions from the asserted graph, the shapes and the
    inferred closure of one knowledge base."""

    def __init__(self, asserted: Graph, shapes: Graph, inferred: Graph) -> None:
        self.asserted = Graph()
        for prefix, namespace in asserted.namespaces():
            self.asserted.bind(prefix, namespace, override=True)
        for subject, predicate, obj in asserted + shapes:
            self.asserted.add((subject, predicate, canonical_node(obj)))
        self.inferred = inferred
        self.search = TermSearch(self.asserted)
        # The knowledge base does not change while the service runs: each description is
        # serialized once per format (bounded: about 10 KB an entry at most).
        self.serialized = lru_cache(maxsize=SERIALIZED_DESCRIPTIONS)(self._serialized)

    def knows(self, iri: URIRef) -> bool:
        """Whether ``iri`` is a term of the graph (it has triples about it)."""
        return (iri, None, None) in self.asserted

    def description(self, iri: URIRef, *, inferred: bool) -> Graph:
        """The concise bounded description of ``iri``, with inferred triples if asked."""
        graphs = (self.asserted, self.inferred) if inferred else (self.asserted,)
        return concise_description(graphs, iri)

    def _serialized(self, iri: URIRef, inferred: bool, media_type: str) -> bytes:
        """The description of ``iri`` in the RDF format of ``media_type``."""
        return serialize_for(self.description(iri, inferred=inferred), media_type)

    def link(self, node: Node) -> Link:
        """How a node appears on a page: a term by its label, an IRI as a link, a blank node
        spelled out, a literal as text."""
        if isinstance(node, Literal):
            return Link(str(node))
        if isinstance(node, BNode):
            if node.startswith("word:"):
                return Link(node.removeprefix("word:"))
            sentence = restriction_parts(self.asserted, node)
            if sentence is not None:
                parts = tuple(self.link(part) for part in sentence)
                return Link(" ".join(part.text for part in parts), parts=parts, words=True)
            return Link(self.spell_out(node), parts=self.parts(node))
        name = local_name(node)
        label = self.label(node)
        if name is not None:
            return Link(label or compact(node), f"/id/{name}", str(node))
        return Link(label or compact(node), str(node), str(node))

    def predicate_link(self, predicate: Node) -> Link:
        """A predicate as a row heading; the anonymous superclasses read as what every
        member of the class has ("every member: involves gene BCR")."""
        if predicate == RDFS.subClassOf:
            return Link("every member", str(predicate), compact(predicate))
        return self.link(predicate)

    def kind_label(self, iri: URIRef) -> str:
        """The heading of the domain kind of ``iri`` (its root class's label)."""
        kind = domain_kind(self.asserted, iri)
        text = self.label(kind) or compact(kind) if isinstance(kind, URIRef) else kind
        return text[:1].upper() + text[1:]

    def label(self, node: Node) -> str | None:
        """The English (or any) label of a node, if it has one."""
        labels = list(self.asserted.objects(node, RDFS.label))
        english = [label for label in labels if getattr(label, "language", None) in ("en", None)]
        chosen = english or labels
        return str(chosen[0]) if chosen else None

    def parts(self, node: BNode, depth: int = 0) -> tuple[Link, ...]:
        """A blank node (an OWL restriction, a list) as links: each predicate and object,
        or each list item, so the terms inside stay clickable."""
        if depth > 3:
            return (Link("..."),)
        if (node, RDF.first, None) in self.asserted:
            items = self.asserted.items(node)
        else:
            items = (
                item
                for pair in sorted(self.asserted.predicate_objects(node), key=str)
                if pair != (RDF.type, OWL.Restriction)  # the shape of the text says so
                for item in pair
            )
        return tuple(
            Link(self.spell_out(item), parts=self.parts(item, depth + 1))
            if isinstance(item, BNode)
            else self.link(item)
            for item in items
        )

    def spell_out(self, node: BNode, depth: int = 0) -> str:
        """A blank node (an OWL restriction, a list) as one line of text."""
        if depth > 3:
            return "[...]"
        items = list(self.asserted.items(node)) if (node, RDF.first, None) in self.asserted else []
        if items:
            return "(" + ", ".join(self._text(item, depth) for item in items) + ")"
        parts = [
            f"{compact(predicate)} {self._text(obj, depth)}"
            for predicate, obj in sorted(self.asserted.predicate_objects(node), key=str)
        ]
        return "[" + "; ".join(parts) + "]"

    def _text(self, node: Node, depth: int) -> str:
        if isinstance(node, BNode):
            return self.spell_out(node, depth + 1)
        if isinstance(node, Literal):
            return str(node)
        return self.label(node) or compact(node)

    def page(self, iri: URIRef) -> TermPage:
        """Everything the term page of ``iri`` shows."""
        graph = self.asserted
        page = TermPage(iri=str(iri), curie=compact(iri), title=self.label(iri) or compact(iri))
        page.labels = [
            (compact(predicate), str(value))
            for predicate in LABEL_PREDICATES
            for value in ordered(graph.objects(iri, predicate))
        ]
        page.definitions = [str(value) for value in graph.objects(iri, SKOS.definition)]
        asserted_types = set(graph.objects(iri, RDF.type)) | set(
            graph.objects(iri, RDFS.subClassOf)
        )
        page.types = [
            self.link(node) for node in ordered(asserted_types) if not isinstance(node, BNode)
        ]
        page.inferred_types = [
            self.link(node)
            for node in ordered(self._inferred_types(iri) - asserted_types)
            if isinstance(node, URIRef) and node not in (iri, OWL.Thing, OWL.NamedIndividual)
        ]
        page.mappings = [
            (compact(predicate), self.link(value))
            for predicate in MAPPING_PREDICATES
            for value in ordered(graph.objects(iri, predicate))
            if not isinstance(value, BNode)
        ]
        page.sources = [self.link(value) for value in ordered(graph.objects(iri, DCTERMS.source))]
        page.sections = [str(value) for value in ordered(graph.objects(iri, PEDALL.section))]
        page.properties = [
            (self.predicate_link(predicate), [self.link(value) for value in ordered(values)])
            for predicate, values in self._grouped(iri)
        ]
        page.evidence = [self._evidence(subject) for subject in ordered(self._about(iri))]
        page.incoming = [
            (self.link(subject), self.link(predicate))
            for subject, predicate in sorted(graph.subject_predicates(iri), key=str)
            if isinstance(subject, URIRef) and predicate != PEDALL.about
        ][:MAX_INCOMING_LINKS]
        page.kind = self.kind_label(iri)
        page.criteria = [self.link(node) for node in criteria_naming(self.asserted, iri)]
        by_property: dict[URIRef, list[Link]] = {}
        for predicate, owner in restricted_by(self.asserted, iri):
            by_property.setdefault(predicate, []).append(self.link(owner))
        page.restricted_by = [(self.link(key), links) for key, links in by_property.items()]
        return page

    def resolve(self, name: str) -> URIRef | None:
        """Where ``/id/{name}`` redirects: the term that replaced it
        (``dcterms:isReplacedBy``), the ontology module whose ``owl:versionIRI`` it is,
        or for a name that is no term, the one term whose label, synonym or mapped ID it
        is; None to answer ``name`` itself."""
        replaced = self.asserted.value(term_iri(name), DCTERMS.isReplacedBy)
        if replaced is None:
            replaced = self.asserted.value(None, OWL.versionIRI, term_iri(name))
        if isinstance(replaced, URIRef) and local_name(replaced) is not None:
            return replaced
        return None if self.knows(term_iri(name)) else self.search.resolve(name)

    def _inferred_types(self, iri: URIRef) -> set[Node]:
        return set(self.inferred.objects(iri, RDF.type)) | set(
            self.inferred.objects(iri, RDFS.subClassOf)
        )

    def _grouped(self, iri: URIRef) -> Iterator[tuple[Node, list[Node]]]:
        """The other properties of ``iri``; of ``rdfs:subClassOf`` only the anonymous
        superclasses (OWL restrictions), as the named ones are shown as types."""
        predicates = ordered(set(self.asserted.predicates(iri)) - SHOWN_APART)
        for predicate in predicates:
            values = list(self.asserted.objects(iri, predicate))
            if predicate == RDFS.subClassOf:
                values = [value for value in values if isinstance(value, BNode)]
            if values:
                yield predicate, values

    def _about(self, iri: URIRef) -> set[Node]:
        """Statements and figures about ``iri``, directly or through a statement's figure."""
        about = set(self.asserted.subjects(PEDALL.about, iri))
        for statement in list(about):
            about.update(self.asserted.objects(statement, PEDALL.hasFigure))
        return about

    def _evidence(self, subject: Node) -> EvidenceItem:
        graph = self.asserted
        stated = graph.value(subject, PEDALL.statement) or graph.value(subject, SKOS.definition)
        text = str(stated) if stated is not None else ""
        if not text and isinstance(subject, BNode):
            text = self.spell_out(subject)
        figure = graph.value(subject, PEDALL.value)
        if figure is not None:
            unit = graph.value(subject, PEDALL.unit)
            years = graph.value(subject, PEDALL.timepointYears)
            plus_minus = graph.value(subject, PEDALL.plusMinus)
            measure = graph.value(subject, PEDALL.measure)
            parts = [self.label(measure) or "" if measure is not None else "", str(figure)]
            if plus_minus is not None:
                parts.append(f"+/- {plus_minus}")
            if unit is not None:
                parts.append(str(unit))
            if years is not None:
                parts.append(f"at {years} years")
            text = " ".join(part for part in parts if part) + (f". {text}" if text else "")
        return EvidenceItem(
            link=self.link(subject),
            text=text,
            sources=[self.link(value) for value in ordered(graph.objects(subject, DCTERMS.source))],
            sections=[str(value) for value in ordered(graph.objects(subject, PEDALL.section))],
        )

    def index(self) -> list[tuple[str, list[Link]]]:
        """Every term of the namespace, grouped by what it is in the domain (the root
        class above it: genetic lesion, gene, therapy ...); properties, shapes and the
        ontology itself after the domain's kinds."""
        groups: dict[str, list[Link]] = {}
        subjects = {node for node in self.asserted.subjects() if local_name(node) is not None}
        for subject in sorted(subjects, key=lambda node: (self.label(node) or str(node)).lower()):
            assert isinstance(subject, URIRef)
            groups.setdefault(self.kind_label(subject), []).append(self.link(subject))
        last = {"Properties": 1, "SHACL shapes": 2, "Ontology": 3, "Other": 4}
        return sorted(groups.items(), key=lambda item: (last.get(item[0], 0), item[0]))
