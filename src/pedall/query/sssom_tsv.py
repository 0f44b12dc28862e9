"""The knowledge graph's SKOS mappings as an SSSOM mapping set (``pedall export --format
sssom``): a TSV table, one row per mapping, under its YAML metadata block.

Every ``skos:exactMatch``, ``closeMatch``, ``broadMatch``, ``narrowMatch`` and
``relatedMatch`` of the asserted graph is one row, with the labels the graph holds (an
external term's label only where the graph states one) and ``semapv:ManualMappingCuration``
as its justification: each mapping was written by a curator after checking the identifier
against a public copy of its vocabulary. Where each was checked is logged in
``ontology/README.md`` (section "Identifiers: what was checked, and where"), not in the graph, so
each row's ``comment`` points there. The release metadata (version, license, creator,
date) comes from the ontology header. IRIs become CURIEs with the prefixes of
``pedall.namespaces.PREFIXES`` (``curies``); a mapping to an IRI outside them is a
``DataFileError`` naming it: a prefix is never made up.

>>> print(mapping_set(KnowledgeBase.load().graph).tsv())  # doctest: +SKIP
# curie_map:
#   CHEBI: http://purl.obolibrary.org/obo/CHEBI_
...
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import yaml
from curies import Converter
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS, SKOS
from rdflib.term import Node

from pedall import RESEARCH_NOTICE
from pedall.errors import DataFileError
from pedall.namespaces import ONTOLOGY_IRI, PREFIXES

MAPPING_PREDICATES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)
MAPPING_SET_ID = f"{ONTOLOGY_IRI}/mappings.sssom.tsv"
MANUAL_CURATION = "semapv:ManualMappingCuration"
SEMAPV = "https://w3id.org/semapv/vocab/"
VERIFICATION_LOG = "ontology/README.md, section Identifiers (what was checked, and where)"
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "comment",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Mapping:
    """One row: a mapping between two terms, as CURIEs, with what is known of it."""

    subject_id: str
    subject_label: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    comment: str


@dataclass(frozen=True)
class MappingSet:
    """An SSSOM mapping set: its metadata (with the ``curie_map``) and its rows."""

    metadata: dict[str, Any]
    mappings: tuple[Mapping, ...]

    def tsv(self) -> str:
        """The set as SSSOM/TSV: the metadata as ``#``-commented YAML, then the table."""
        header = yaml.safe_dump(self.metadata, sort_keys=False, allow_unicode=True, width=10**6)
        text = io.StringIO()
        text.writelines(f"#{line}\n" for line in header.splitlines())
        writer = csv.writer(text, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for mapping in self.mappings:
            writer.writerow(getattr(mapping, column) for column in COLUMNS)
        return text.getvalue()


def mapping_set(graph: Graph, prefixes: dict[str, str] = PREFIXES) -> MappingSet:
    """The SKOS mappings of ``graph`` (the asserted knowledge graph) as a mapping set.

    Raises ``DataFileError`` for a mapping whose subject or object is not an IRI with a
    prefix of ``prefixes``."""
    converter = Converter.from_prefix_map({**prefixes, "semapv": SEMAPV})
    rows = []
    for predicate in MAPPING_PREDICATES:
        for subject, target in graph.subject_objects(predicate):
            subject_id = _curie(converter, subject, subject, predicate, target)
            object_id = _curie(converter, target, subject, predicate, target)
            rows.append(
                Mapping(
                    subject_id=subject_id,
                    subject_label=_label(graph, subject),
                    predicate_id=converter.compress_strict(str(predicate)),
                    object_id=object_id,
                    object_label=_label(graph, target),
                    mapping_justification=MANUAL_CURATION,
                    comment=f"{object_id.split(':', 1)[0]} identifier checked against a public "
                    f"copy of its vocabulary before it was added; where: {VERIFICATION_LOG}",
                )
            )
    rows.sort(key=lambda row: (row.subject_id, row.predicate_id, row.object_id))
    used = {
        curie.split(":", 1)[0]
        for row in rows
        for curie in (row.subject_id, row.predicate_id, row.object_id, row.mapping_justification)
    }
    curie_map = {prefix: converter.prefix_map[prefix] for prefix in sorted(used)}
    return MappingSet(_metadata(graph, curie_map), tuple(rows))


def _curie(converter: Converter, node: Node, subject: Node, predicate: URIRef, obj: Node) -> str:
    curie = converter.compress(str(node)) if isinstance(node, URIRef) else None
    if curie is None:
        raise DataFileError(
            f"mapping {subject.n3()} {predicate.n3()} {obj.n3()}: {node.n3()} is not an IRI "
            "with a known prefix; expected one of the prefixes of pedall.namespaces.PREFIXES"
        )
    return curie


def _label(graph: Graph, node: Node) -> str:
    """The English (or untagged) ``rdfs:label`` of ``node``, one line; empty if none."""
    labels = sorted(
        str(label)
        for label in graph.objects(node, RDFS.label)
        if isinstance(label, Literal) and label.language in ("en", None)
    )
    return " ".join(labels[0].split()) if labels else ""


def _metadata(graph: Graph, curie_map: dict[str, str]) -> dict[str, Any]:
    """The mapping set's metadata, from the ontology header where it says them."""
    ontology = URIRef(ONTOLOGY_IRI)
    version = graph.value(ontology, OWL.versionInfo)
    license_iri = graph.value(ontology, DCTERMS.license)
    creators = sorted(str(creator) for creator in graph.objects(ontology, DCTERMS.creator))
    metadata: dict[str, Any] = {
        "curie_map": curie_map,
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": "SKOS mappings of the pedall ontology",
        "mapping_set_description": (
            "The skos:exactMatch, closeMatch, broadMatch, narrowMatch and relatedMatch "
            f"mappings of the pedall ontology <{ONTOLOGY_IRI}> to external vocabularies."
        ),
    }
    if version is not None:
        metadata["mapping_set_version"] = str(version)
        if _ISO_DATE.fullmatch(str(version)):
            metadata["publication_date"] = str(version)  # the release's date
    if isinstance(license_iri, URIRef):
        metadata["license"] = str(license_iri)
    if creators:
        metadata["creator_label"] = creators
    metadata["comment"] = (
        f"{RESEARCH_NOTICE} Every identifier was checked against a public copy of its "
        f"vocabulary before it was added; the checks are logged in {VERIFICATION_LOG}. "
        "The graph does not record when each mapping was made, so there is no mapping_date."
    )
    return metadata
