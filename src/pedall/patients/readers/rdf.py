"""Read patient graphs (Turtle, JSON-LD) into the same ``PatientRecord``s as the CSV table.

A patient is a node typed ``pedall:Patient`` with one ``pedall:patientId``. Its values are
read by property IRI, exactly as the CSV reader keys them: the fields come from the
ontology (the properties with a ``pedall:csvColumn``, plus the patient datatype properties
that only RDF input gives and the shapes read, such as the raw CSF findings). A
``pedall:hasLesion`` value is a lesion class IRI, a node typed with lesion classes, or a
code or synonym as a string (a ``pedall:recordedKaryotype`` string is read as the table's
``karyotype`` column); a ``pedall:pendingLesion`` value, the same, names a lesion
class whose test result is not back (``pedall:GeneticLesion``: no genetic result is back).
A value of the wrong datatype or code is a ``PatientIssue`` naming the node, the field,
the value and what was expected; that patient is left out and the others are still read.

Parsing is pyoxigraph's (no network: a JSON-LD ``@context`` that names a document to load
is refused before parsing).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

from pedall.errors import InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.karyotype_fields import apply_karyotype
from pedall.patients.lesion_bounds import bound_violations
from pedall.patients.model import (
    ID_COLUMN,
    LESIONS_COLUMN,
    LESIONS_PENDING_COLUMN,
    XSD_BOOLEAN,
    XSD_INTEGER,
    XSD_NUMBER_TYPES,
    FieldKind,
    PatientField,
    PatientModel,
)
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import (
    PatientRecord,
    ReadResult,
    convert_units,
)
from pedall.patients.readers.jsonld_guard import refuse_remote_contexts

RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "json-ld": ox.RdfFormat.JSON_LD}
XSD = "http://www.w3.org/2001/XMLSchema#"
# xsd:integer and the built-in types derived from it (all are numbers, and whole numbers).
XSD_INTEGER_TYPES = {
    XSD + name
    for name in (
        "integer",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "nonPositiveInteger",
        "negativeInteger",
    )
}
XSD_STRING_TYPES = {XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
RDF_TYPE = str(RDF.type)
PATIENT_CLASS = str(PEDALL.Patient)
PATIENT_ID = str(PEDALL.patientId)
HAS_LESION = str(PEDALL.hasLesion)
PENDING_LESION = str(PEDALL.pendingLesion)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Subject = ox.NamedNode | ox.BlankNode | ox.Triple


@dataclass(frozen=True)
class RdfPatientFields:
    """The patient fields an RDF patient graph may carry, keyed by property IRI."""

    fields: Mapping[str, PatientField]
    declared: frozenset[str]  # every pedall: term the ontology declares

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, model: PatientModel) -> RdfPatientFields:
        """The CSV fields plus the patient datatype properties without a CSV column that
        the shapes read (such as the raw CSF findings the derived-finding rules use)."""
        fields = dict(model.field_by_property())
        fields.update(_rdf_only_fields(kb.graph, kb.shapes, set(fields) | {PATIENT_ID}))
        declared = frozenset(
            str(term)
            for term in kb.graph.subjects(RDF.type, None)
            if isinstance(term, URIRef) and str(term).startswith(str(PEDALL))
        )
        return cls(fields, declared)

    def undeclared(self, predicate: str) -> bool:
        """A pedall: predicate the ontology does not declare (most likely a typo)."""
        return predicate.startswith(str(PEDALL)) and predicate not in self.declared

    def closest(self, predicate: str) -> list[str]:
        """The patient properties spelled most like ``predicate``, as suggestions."""
        names = {
            iri.removeprefix(str(PEDALL)): iri
            for iri in (*self.fields, PATIENT_ID, HAS_LESION, PENDING_LESION)
        }
        wanted = predicate.removeprefix(str(PEDALL))
        return [names[n] for n in difflib.get_close_matches(wanted, names, n=2, cutoff=0.6)]


def _rdf_only_fields(graph: Graph, shapes: Graph, known: set[str]) -> dict[str, PatientField]:
    fields = {}
    for prop in graph.subjects(RDFS.domain, PEDALL.Patient):
        if str(prop) in known or (prop, RDF.type, OWL.DatatypeProperty) not in graph:
            continue
        if (None, SH.path, prop) not in shapes:
            continue
        range_ = str(graph.value(prop, RDFS.range))
        if range_ == XSD_INTEGER:
            kind = FieldKind.INTEGER
        elif range_ == XSD_BOOLEAN:
            kind = FieldKind.BOOLEAN
        elif range_ in XSD_NUMBER_TYPES:
            kind = FieldKind.NUMBER
        else:
            continue
        name = str(prop).removeprefix(str(PEDALL))
        fields[str(prop)] = PatientField(name, str(prop), kind, {})
    return fields


def parse_patient_graph(text: str, kind: str, source: str) -> list[ox.Triple]:
    """The triples of a Turtle or JSON-LD document (default graph and named graphs alike);
    InputFormatError with the parser's message and line when it is malformed."""
    rdf_format = RDF_FORMATS.get(kind)
    if rdf_format is None:
        raise InputFormatError(f"{source}: {kind} is not an RDF format pedall reads")
    if kind == "json-ld":
        refuse_remote_contexts(text, source)
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=rdf_format))
    except SyntaxError as error:
        name = "Turtle" if kind == "turtle" else "JSON-LD"
        raise InputFormatError(
            f"{source}: not valid {name}: {error.msg}", line=error.lineno
        ) from error
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def read_rdf(
    text: str,
    kind: str,
    model: PatientModel,
    fields: RdfPatientFields,
    source: str = "<input>",
) -> ReadResult:
    """Read the patients of a Turtle or JSON-LD graph. A patient with an issue is left out
    of ``records``; every other patient is read."""
    triples = parse_patient_graph(text, kind, source)
    outgoing: dict[Subject, dict[str, list[Term]]] = {}
    patients: dict[Subject, None] = {}  # in document order; a dict, not a list, to stay linear
    for triple in triples:
        by_predicate = outgoing.setdefault(triple.subject, {})
        by_predicate.setdefault(triple.predicate.value, []).append(triple.object)
        if (
            triple.predicate.value == RDF_TYPE
            and isinstance(triple.object, ox.NamedNode)
            and triple.object.value == PATIENT_CLASS
        ):
            patients[triple.subject] = None
    result = ReadResult(columns=list(model.columns))
    seen: dict[str, str] = {}
    for node in patients:
        issues_before = len(result.issues)
        record = _read_patient(node, outgoing, model, fields, source, seen, result.issues)
        new_issues = result.issues[issues_before:]
        if record is not None and not any(i.is_error for i in new_issues):
            result.records.append(record)
    return result


def node_name(node: Term) -> str:
    """How a node is named in messages: ``<iri>`` or ``_:label``."""
    if isinstance(node, ox.NamedNode):
        return f"<{node.value}>"
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    return str(node)


def _read_patient(
    node: Subject,
    outgoing: Mapping[Subject, Mapping[str, list[Term]]],
    model: PatientModel,
    fields: RdfPatientFields,
    source: str,
    seen: dict[str, str],
    issues: list[PatientIssue],
) -> PatientRecord | None:
    name = node_name(node)
    properties = outgoing.get(node, {})
    patient_id: str | None = None

    # Issues name the node as records do: the bare IRI (a blank node by its label).
    located = node.value if isinstance(node, ox.NamedNode) else name

    def issue(column: str | None, value: str | None, message: str, severity: str = "error") -> None:
        issues.append(
            PatientIssue(None, column, value, message, patient_id, source, severity, located)
        )

    ids = properties.get(PATIENT_ID, [])
    if not ids:
        issue(ID_COLUMN, None, f"patient {name} has no pedall:patientId; every patient needs one")
    elif len(ids) > 1:
        shown = ", ".join(sorted(_shown(v) for v in ids))
        issue(ID_COLUMN, shown, f"patient {name} has {len(ids)} pedall:patientId values")
    elif not _is_string(ids[0]) or not _shown(ids[0]).strip():
        issue(ID_COLUMN, _shown(ids[0]), "expected a non-empty string as pedall:patientId")
    else:
        patient_id = _shown(ids[0]).strip()
        if patient_id in seen:
            issue(ID_COLUMN, patient_id, f"duplicate patient_id (also on {seen[patient_id]})")
        else:
            seen[patient_id] = name
    values: dict[str, CellValue] = {}
    for prop, spec in fields.fields.items():
        given = properties.get(prop, [])
        if len(given) > 1:
            shown = ", ".join(sorted(_shown(v) for v in given))
            issue(spec.column, shown, f"expected one value of <{prop}>, got {len(given)}")
            continue
        if given:
            try:
                values[prop] = rdf_value(spec, given[0])
            except ValueError as error:
                issue(spec.column, _shown(given[0]), f"expected {error}")
    for predicate in properties:
        if fields.undeclared(predicate):
            hint = ", ".join(f"<{iri}>" for iri in fields.closest(predicate))
            issue(
                None,
                f"<{predicate}>",
                f"<{predicate}> is not a term of the pedall ontology, so its value is ignored"
                + (f"; did you mean {hint}?" if hint else ""),
                "warning",
            )
    by_column = {spec.column: spec for spec in fields.fields.values()}
    for message, column, shown in convert_units(values, by_column):
        issue(column, shown, message)
    lesions: list[str] = []
    for value in properties.get(HAS_LESION, []):
        for lesion in _lesion_classes(value, outgoing, model, issue, LESIONS_COLUMN):
            if lesion not in lesions:
                lesions.append(lesion)
    pending = frozenset(
        lesion
        for value in properties.get(PENDING_LESION, [])
        for lesion in _lesion_classes(value, outgoing, model, issue, LESIONS_PENDING_COLUMN)
    )
    for written in properties.get(model.karyotype.property, []):
        for column, shown, message in apply_karyotype(_shown(written), values, lesions, model):  # type: ignore[arg-type]
            issue(column, shown, message)
    for column, shown, message in bound_violations(values, tuple(lesions), model):
        issue(column, shown, message)
    if patient_id is None:
        return None
    # A blank node has no name outside this document: the record then has no node.
    iri = node.value if isinstance(node, ox.NamedNode) else None
    return PatientRecord(patient_id, values, tuple(lesions), None, source, {}, iri, pending=pending)


def rdf_value(spec: PatientField, term: Term) -> CellValue:
    """The value of one RDF term for a field; ValueError with what was expected otherwise."""
    if spec.kind is FieldKind.CODED:
        if isinstance(term, ox.NamedNode) and term.value in spec.codes.values():
            return URIRef(term.value)
        raise ValueError("one of " + ", ".join(f"<{iri}>" for iri in sorted(spec.codes.values())))
    if not isinstance(term, ox.Literal):
        raise ValueError(_expected_literal(spec))
    datatype = term.datatype.value
    lexical = term.value.strip()
    if not lexical.isascii():  # int() and float() read other scripts' digits; XSD does not
        raise ValueError(_expected_literal(spec))
    if spec.kind is FieldKind.BOOLEAN:
        if datatype == XSD_BOOLEAN and lexical in ("true", "false", "1", "0"):
            return lexical in ("true", "1")
        raise ValueError(_expected_literal(spec))
    if spec.kind is FieldKind.INTEGER:
        if datatype in XSD_INTEGER_TYPES:
            try:
                return int(lexical)
            except ValueError:
                pass
        raise ValueError(_expected_literal(spec))
    if spec.kind is FieldKind.NUMBER and (
        datatype in XSD_NUMBER_TYPES or datatype in XSD_INTEGER_TYPES
    ):
        try:
            number = float(lexical)
        except ValueError:
            raise ValueError(_expected_literal(spec)) from None
        if math.isfinite(number) and "_" not in lexical:
            return int(lexical) if datatype in XSD_INTEGER_TYPES else number
    raise ValueError(_expected_literal(spec))


def _expected_literal(spec: PatientField) -> str:
    if spec.kind is FieldKind.NUMBER:
        return "a number (xsd:decimal, xsd:double or xsd:integer literal)"
    if spec.kind is FieldKind.INTEGER:
        return "a whole number (xsd:integer literal)"
    if spec.kind is FieldKind.BOOLEAN:
        return "true or false (xsd:boolean literal)"
    return spec.expected()


def _lesion_classes(
    value: Term,
    outgoing: Mapping[Subject, Mapping[str, list[Term]]],
    model: PatientModel,
    issue: object,
    column: str,
) -> list[str]:
    """The lesion classes one ``pedall:hasLesion`` (or ``pendingLesion``) value stands for."""
    assert callable(issue)
    vocabulary = model.lesions
    if isinstance(value, ox.NamedNode) and value.value in vocabulary.display:
        return [value.value]
    if isinstance(value, ox.Literal):
        if value.datatype.value in XSD_STRING_TYPES:
            iri = vocabulary.resolve(value.value)
            if iri is not None:
                return [iri]
            issue(column, value.value, _unknown_lesion(value.value, model))
            return []
        issue(column, _shown(value), "expected a lesion class IRI or a lesion code")
        return []
    types = [
        t.value
        for t in outgoing.get(value, {}).get(RDF_TYPE, [])
        if isinstance(t, ox.NamedNode) and t.value in vocabulary.display
    ]
    if types:
        return types
    code = value.value.rsplit("/", 1)[-1] if isinstance(value, ox.NamedNode) else ""
    issue(
        column,
        _shown(value),
        f"{node_name(value)} is neither a lesion class nor typed with one"
        + _suggestion(code, model),
    )
    return []


def _unknown_lesion(code: str, model: PatientModel) -> str:
    return f"unknown lesion code {code.strip()!r}" + _suggestion(code, model)


def _suggestion(code: str, model: PatientModel) -> str:
    suggestions = model.lesions.closest(code) if code else []
    return f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""


def _is_string(term: Term) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value in XSD_STRING_TYPES


def _shown(term: Term) -> str:
    """A term as a person reads it: a literal's text, a node's name."""
    if isinstance(term, ox.Literal):
        return term.value
    return node_name(term)
