"""Finding a term: an index of every label, synonym, local name and mapped ID of the
pedall terms, built once from the graph, that searches a text, resolves a synonym to its
term and suggests close names for one the graph does not know."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from pedall.service.term_names import MAPPING_PREDICATES, compact, local_name
from pedall.service.term_relations import blank_descendants

# Where a text of a term comes from, most telling first (the rank breaks ties).
FIELDS: tuple[tuple[str, tuple[URIRef, ...]], ...] = (
    ("label", (RDFS.label, SKOS.prefLabel)),
    ("synonym", (SKOS.altLabel, SKOS.hiddenLabel, SKOS.notation)),
)
FIELD_RANK = {"label": 0, "name": 1, "synonym": 2, "mapping": 3}
MATCH_WORDS = ("exact", "starts with", "word starts with", "contains", "close to")
MAX_RESULTS = 50


def normalised(text: str) -> str:
    """A text as the index compares it: case-folded, runs of white space as one blank."""
    return " ".join(text.casefold().split())


def mapped_ids(node: URIRef) -> list[str]:
    """The ways people write a mapped IRI: its CURIE (``HGNC:1014``), the OBO form
    (``obo:NCIT_C8936`` as ``NCIT:C8936``) and the IRI itself."""
    curie = compact(node)
    ids = [curie, str(node)]
    prefix, _, rest = curie.partition(":")
    if prefix == "obo" and "_" in rest:
        ids.append(rest.replace("_", ":", 1))
    return ids


@dataclass(frozen=True)
class Entry:
    """One text under which a term is found."""

    key: str  # normalised
    text: str
    field: str
    iri: URIRef


@dataclass(frozen=True)
class SearchHit:
    """A term that matches a search: its label, link, the text that matched and how."""

    iri: str
    curie: str
    label: str
    href: str
    matched: str
    field: str
    match: str

    def as_json(self) -> dict[str, str]:
        """The hit as the JSON answer of ``/search`` shows it."""
        return {
            "iri": self.iri,
            "curie": self.curie,
            "label": self.label,
            "href": self.href,
            "matched": self.matched,
            "field": self.field,
            "match": self.match,
        }


class TermSearch:
    """The search index of the pedall terms of one graph."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.labels: dict[URIRef, str] = {}
        entries: list[Entry] = []
        for subject in {node for node in graph.subjects() if local_name(node) is not None}:
            assert isinstance(subject, URIRef)
            name = local_name(subject) or ""
            entries.append(Entry(normalised(name), name, "name", subject))
            for field, predicates in FIELDS:
                for predicate in predicates:
                    for value in graph.objects(subject, predicate):
                        entries.append(Entry(normalised(str(value)), str(value), field, subject))
            for predicate in MAPPING_PREDICATES:
                for value in graph.objects(subject, predicate):
                    if isinstance(value, URIRef) and local_name(value) is None:
                        entries.extend(
                            Entry(normalised(text), text, "mapping", subject)
                            for text in mapped_ids(value)
                        )
            label = graph.value(subject, RDFS.label)
            self.labels[subject] = str(label) if label is not None else compact(subject)
        self.entries = sorted(
            entries, key=lambda entry: (FIELD_RANK[entry.field], entry.key, entry.iri)
        )
        self.keys = sorted({entry.key for entry in self.entries})

    def hit(self, entry: Entry, match: int) -> SearchHit:
        """An entry as a search hit, with how it matched."""
        return SearchHit(
            iri=str(entry.iri),
            curie=compact(entry.iri),
            label=self.labels[entry.iri],
            href=f"/id/{local_name(entry.iri)}",
            matched=entry.text,
            field=entry.field,
            match=MATCH_WORDS[match],
        )

    def resolve(self, name: str) -> URIRef | None:
        """The one term whose label, synonym or mapped ID is exactly ``name`` (the best
        kind of text wins: a label over a synonym; of tied terms, the one whose
        definition names the others); None if none, or several still tie."""
        key = normalised(name)
        exact = [entry for entry in self.entries if entry.key == key]
        if not exact:
            return None
        best = FIELD_RANK[exact[0].field]
        terms = {entry.iri for entry in exact if FIELD_RANK[entry.field] == best}
        if len(terms) > 1:
            # a name shared by a gene and its rearrangement ("MLL"): the term whose
            # definition names all the others is the one meant
            terms = {
                term for term in terms if terms - {term} <= set(blank_descendants(self.graph, term))
            }
        return terms.pop() if len(terms) == 1 else None

    def search(self, text: str, limit: int = MAX_RESULTS) -> list[SearchHit]:
        """Terms matching ``text``: exact, then prefix, word prefix and substring matches,
        each term once under its best match; close spellings if nothing else matches."""
        key = normalised(text)
        if not key:
            return []
        word = re.compile(r"(?:^|[^0-9a-z])" + re.escape(key))
        best: dict[URIRef, tuple[int, int, Entry]] = {}
        for entry in self.entries:
            if entry.key == key:
                match = 0
            elif entry.key.startswith(key):
                match = 1
            elif word.search(entry.key):
                match = 2
            elif key in entry.key:
                match = 3
            else:
                continue
            rank = (match, FIELD_RANK[entry.field])
            if entry.iri not in best or rank < best[entry.iri][:2]:
                best[entry.iri] = (*rank, entry)
        if not best:
            return self.suggest(text, limit)
        meant = self.resolve(text)  # of exact ties, the term /id/{text} redirects to first
        ordered = sorted(
            best.values(),
            key=lambda item: (item[0], item[1], item[2].iri != meant, item[2].key, item[2].iri),
        )
        return [self.hit(entry, match) for match, _, entry in ordered[:limit]]

    def suggest(self, text: str, limit: int = 8) -> list[SearchHit]:
        """Terms whose texts are spelled close to ``text`` (difflib's ratio)."""
        close = difflib.get_close_matches(normalised(text), self.keys, n=limit * 2, cutoff=0.6)
        hits: dict[URIRef, SearchHit] = {}
        for key in close:
            for entry in self.entries:
                if entry.key == key and entry.iri not in hits:
                    hits[entry.iri] = self.hit(entry, 4)
        return list(hits.values())[:limit]
