"""How pedall terms are named on the web: the IRI of a local name (``/id/{name}``), the
local name of an IRI, an IRI as a CURIE, and the predicates that map a term elsewhere."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import OWL, RDFS, SKOS
from rdflib.term import Node

from pedall.namespaces import PEDALL, PREFIXES

MAPPING_PREDICATES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
    OWL.equivalentClass,
    OWL.sameAs,
    RDFS.seeAlso,
)


def term_iri(local_name: str) -> URIRef:
    """The IRI of the pedall term called ``local_name``."""
    return PEDALL[local_name]


def local_name(iri: Node) -> str | None:
    """The local name of a pedall IRI (what follows ``/id/``), or None for other nodes."""
    if isinstance(iri, URIRef) and str(iri).startswith(str(PEDALL)):
        return str(iri)[len(str(PEDALL)) :] or None
    return None


def compact(node: Node) -> str:
    """A CURIE for an IRI where a prefix fits, else the IRI; literals as their text."""
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace) :]}"
        return text
    return str(node)
