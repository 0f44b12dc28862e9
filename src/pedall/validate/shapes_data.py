"""The data graph a user's SHACL shapes run on, and where each of its nodes came from.

RDF input (Turtle, N-Triples, JSON-LD, RDF/XML) is the graph as sent, parsed by the
project's guarded readers (no remote JSON-LD context, no XML entities). A patient table
(CSV, Parquet) or phenopackets are not RDF: their records are written as pedall's patient
graph (``pedall.patients.graph``: one ``pedall:Patient`` node a patient, named
``patient:{patient_id}``, a typed node a lesion), and each pass-through column (one the
contract does not know, such as ``site_code``) as a string on the property
``https://w3id.org/pedall/column/{column}`` (empty cells give no triple).

Every node written from a record is located at its row (the patient's lesion nodes at the
row's ``lesions`` column), so results on it are reported as pedall's own issues are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from pedall.errors import InputFormatError, PatientIssue
from pedall.namespaces import PEDALL
from pedall.patients.graph import PatientGraphWriter, patient_node
from pedall.patients.model import LESIONS_COLUMN
from pedall.patients.readers.csv_table import PatientRecord
from pedall.patients.readers.phenopacket import looks_like_phenopackets
from pedall.patients.readers.rdf import parse_patient_graph
from pedall.patients.readers.rdfxml_guard import rdfxml_to_ntriples
from pedall.patients.readers.registry import ReaderTools, reader_for_media_type

# The property of a pass-through column: column:site_code for the column site_code.
COLUMN = Namespace("https://w3id.org/pedall/column/")
N_TRIPLES = ("application/n-triples", "text/plain")
# The RDF readers' names (``patients.readers.registry``) whose input is taken as sent.
RDF_KINDS = {"turtle": "turtle", "json-ld": "json-ld"}


@dataclass(frozen=True)
class DataInput:
    """One input: its bytes, media type and name, and its records when the caller has
    already read them (``pedall validate`` has; a table is then not read again; RDF
    input is always taken as sent)."""

    payload: bytes
    media_type: str
    source: str
    records: Sequence[PatientRecord] | None = None


@dataclass(frozen=True)
class Location:
    """Where a node of the data graph came from: its input, and its record (with the
    column it stands for) when it was written from one."""

    source: str
    record: PatientRecord | None = None
    column: str | None = None


@dataclass
class ShapesData:
    """The data graph, the location of each node written from a record, and the issues
    of reading the inputs pedall read itself."""

    graph: Graph = field(default_factory=Graph)
    located: dict[Node, Location] = field(default_factory=dict)
    sources: dict[Node, str] = field(default_factory=dict)  # nodes of RDF input
    read_issues: list[PatientIssue] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # the sources, in input order

    def location(self, node: Node) -> Location | None:
        """Where ``node`` came from, if pedall knows."""
        found = self.located.get(node)
        if found is not None:
            return found
        source = self.sources.get(node)
        return Location(source) if source is not None else None


def column_name(prop: str) -> str | None:
    """The pass-through column a property of ``COLUMN`` stands for, else None."""
    return unquote(prop.removeprefix(str(COLUMN))) if prop.startswith(str(COLUMN)) else None


def shapes_data(inputs: Sequence[DataInput], tools: ReaderTools) -> ShapesData:
    """One data graph of every input (InputFormatError for an input that cannot be read:
    malformed RDF with its line, an unknown media type)."""
    data = ShapesData()
    writer = PatientGraphWriter(tools.model)
    for item in inputs:
        data.order.append(item.source)
        if _is_rdf(item):
            _add_rdf(data, item)
            continue
        records = item.records
        if records is None:
            read = reader_for_media_type(item.media_type).read(item.payload, tools, item.source)
            records = read.records
            data.read_issues += read.issues
        for record in records:
            _add_record(data, writer, record)
    return data


def _is_rdf(item: DataInput) -> bool:
    base = item.media_type.split(";", 1)[0].strip().lower()
    if base in N_TRIPLES:
        return True
    name = reader_for_media_type(base).name
    if name == "json-ld":
        return not looks_like_phenopackets(utf8_text(item.payload, item.source))
    return name in ("turtle", "rdf-xml")


def _add_rdf(data: ShapesData, item: DataInput) -> None:
    base = item.media_type.split(";", 1)[0].strip().lower()
    if base in N_TRIPLES:
        triples = parse_patient_graph(utf8_text(item.payload, item.source), "turtle", item.source)
    elif reader_for_media_type(base).name == "rdf-xml":
        ntriples = rdfxml_to_ntriples(item.payload, item.source)
        triples = parse_patient_graph(ntriples.decode("utf-8"), "turtle", item.source)
    else:
        kind = RDF_KINDS[reader_for_media_type(base).name]
        triples = parse_patient_graph(utf8_text(item.payload, item.source), kind, item.source)
    part = Graph()
    part.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    for subject in part.subjects(unique=True):
        data.sources.setdefault(subject, item.source)
    data.graph += part


def _add_record(data: ShapesData, writer: PatientGraphWriter, record: PatientRecord) -> None:
    node = patient_node(record)
    if node in data.located:  # the same id in two inputs: a node of its own
        node = URIRef(f"{node}-{len(data.located)}")
        writer.add(data.graph, node, record.values, record.lesions, record.patient_id)
    else:
        writer.add_record(data.graph, record)
    data.located[node] = Location(record.source, record)
    for index in range(len(record.lesions)):
        data.located[URIRef(f"{node}/lesion/{index}")] = Location(
            record.source, record, LESIONS_COLUMN
        )
    for column, text in record.extra.items():
        if text.strip():
            data.graph.add((node, COLUMN[quote(column, safe="")], Literal(text.strip())))


def utf8_text(payload: bytes, source: str) -> str:
    """The payload as text (a byte-order mark dropped); InputFormatError otherwise."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFormatError(f"{source}: not UTF-8 text ({error})") from None


def patient_id_of(graph: Graph, node: Node | None) -> str | None:
    """The ``pedall:patientId`` of a node of RDF input, if it has one."""
    value = graph.value(node, PEDALL.patientId) if node is not None else None
    return str(value) if isinstance(value, Literal) else None
