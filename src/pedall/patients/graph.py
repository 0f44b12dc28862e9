"""Write patient records as RDF: the data graph that pyshacl validates and classifies.

Each patient is a ``pedall:Patient`` node; each known value is a triple on its property
with the datatype the ontology gives the property (``xsd:decimal``, ``xsd:integer``,
``xsd:boolean``) or the coded individual's IRI; each recorded lesion is an individual
typed by its lesion class, so OWL RL inference can tell that a KMT2A-AFF1 lesion is a
KMT2A rearrangement. A lesion class whose result is not back is a ``pedall:pendingLesion``
value (``pedall:GeneticLesion`` when no genetic result is back), so that a lesion neither
detected nor pending reads as tested and absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, URIRef

from pedall.namespaces import PATIENT, PEDALL
from pedall.patients.model import FieldKind, PatientField, PatientModel
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord


def patient_node(record: PatientRecord) -> URIRef:
    """The record's node: its own IRI when it came from RDF, else one minted from its id."""
    if record.node is not None:
        return URIRef(record.node)
    return PATIENT[quote(record.patient_id, safe="")]


def decimal_lexical(number: float) -> str:
    """A number as a valid ``xsd:decimal`` lexical form (no exponent)."""
    text = format(Decimal(repr(float(number))), "f")
    return text if "." in text else text + ".0"


def rdf_value(spec: PatientField, value: CellValue) -> URIRef | Literal:
    """The RDF term of one field value, typed as the ontology ranges the property."""
    if spec.kind is FieldKind.CODED:
        return URIRef(str(value))
    if spec.kind is FieldKind.BOOLEAN:
        return Literal(bool(value))
    if spec.kind is FieldKind.INTEGER:
        assert isinstance(value, int)
        return Literal(str(value), datatype=XSD.integer)
    assert isinstance(value, (int, float))
    return Literal(decimal_lexical(value), datatype=XSD.decimal)


def untyped_rdf_value(value: CellValue) -> URIRef | Literal:
    """The RDF term of a value of a field without a CSV column (only RDF input has it,
    such as the raw CSF findings of ``pedall.patients.readers.rdf``), typed by the value itself."""
    if isinstance(value, URIRef | bool):
        return value if isinstance(value, URIRef) else Literal(value)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    assert isinstance(value, float)
    return Literal(decimal_lexical(value), datatype=XSD.decimal)


class PatientGraphWriter:
    """Adds patients to a graph; one writer per patient model."""

    def __init__(self, model: PatientModel) -> None:
        self.fields = model.field_by_property()

    def add(
        self,
        graph: Graph,
        node: URIRef,
        values: Mapping[str, CellValue],
        lesions: Sequence[str],
        patient_id: str | None = None,
    ) -> None:
        """Add one patient (or one completion of a patient's missing fields: there, a
        ``pedall:hasLesion`` value is the set of lesion classes present besides ``lesions``)."""
        graph.add((node, RDF.type, PEDALL.Patient))
        if patient_id is not None:
            graph.add((node, PEDALL.patientId, Literal(patient_id)))
        lesions = list(lesions)
        for prop, value in values.items():
            if isinstance(value, frozenset):
                lesions += sorted(value - set(lesions))
                continue
            spec = self.fields.get(prop)
            term = rdf_value(spec, value) if spec is not None else untyped_rdf_value(value)
            graph.add((node, URIRef(prop), term))
        for index, lesion in enumerate(lesions):
            lesion_node = URIRef(f"{node}/lesion/{index}")
            graph.add((node, PEDALL.hasLesion, lesion_node))
            graph.add((lesion_node, RDF.type, URIRef(lesion)))

    def add_record(self, graph: Graph, record: PatientRecord) -> URIRef:
        """Add a record as read; returns its node."""
        node = patient_node(record)
        self.add(graph, node, record.values, record.lesions, record.patient_id)
        # What is not known is said, not left out: each lesion class still pending.
        for lesion in sorted(record.pending_classes):
            graph.add((node, PEDALL.pendingLesion, URIRef(lesion)))
        return node
