"""The risk calculator's form, read from the knowledge: one input per column of the patient
table (the patient model), a field in another unit offered as a unit of the field it
converts to (``pedall:convertsTo``: WBC per uL or in 10^9/L), the karyotype, and the
lesions grouped as the ``pedall:CalculatorLesionGroup`` data says, each detected, not
detected or pending, with one switch for "no genetic result is back yet".

Nothing here knows a lesion or a unit: labels, units, groups and their order are data
(``ontology/calculator-form.ttl`` and the patient model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef

from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.model import (
    KARYOTYPE_COLUMN,
    LESIONS_COLUMN,
    LESIONS_PENDING_COLUMN,
    FieldKind,
    PatientField,
)
from pedall.patients.readers.lesion_cells import ALL_PENDING as ALL_PENDING
from pedall.toolkit import toolkit

PENDING_COLUMN = LESIONS_PENDING_COLUMN  # re-exported for the page templates
# Words for the columns that the ontology gives no property label (yet).
COLUMN_WORDS = {
    LESIONS_COLUMN: "genetic lesions detected",
    PENDING_COLUMN: "genetic results pending",
    KARYOTYPE_COLUMN: "karyotype (ISCN)",
}
KARYOTYPE_HELP = "As the cytogenetics report writes it, e.g. 46,XY,t(12;21)(p13;q22)[20]."


@dataclass(frozen=True)
class Unit:
    """One unit a quantity may be entered in: the column it is sent as, and its name."""

    column: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One input of the calculator: a column of the patient table (or several, one per
    unit the value may be entered in; the first is the field's own)."""

    column: str
    label: str
    help: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    units: tuple[Unit, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *(unit.column for unit in self.units if unit.column != self.column))

    @property
    def html_id(self) -> str:
        return "field-" + self.column


@dataclass(frozen=True)
class LesionChoice:
    """A lesion as the form offers it: the code the lesions column takes (its preferred
    label), its class, its definition, and how deep it sits under another shown lesion."""

    code: str
    iri: str
    help: str
    depth: int

    @property
    def html_id(self) -> str:
        return "lesion-" + self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class LesionGroup:
    """A group of lesions shown together, in the order of the data."""

    iri: str
    label: str
    help: str
    lesions: tuple[LesionChoice, ...]


@dataclass(frozen=True)
class CalculatorForm:
    """Everything the calculator's form shows."""

    fields: tuple[FormField, ...]
    karyotype: FormField
    lesion_groups: tuple[LesionGroup, ...]
    column_labels: dict[str, str] = field(default_factory=dict)


def _text(graph: Graph, node: URIRef, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    return "" if value is None else str(value)


def column_label(graph: Graph, column: str) -> str:
    """The words for a column: the label of the property the ontology gives it
    (``pedall:csvColumn``), else the form's own words."""
    for prop in graph.subjects(PEDALL.csvColumn, Literal(column)):
        if isinstance(prop, URIRef):
            label = _text(graph, prop, PEDALL.formLabel) or _text(graph, prop, RDFS.label)
            if label:
                return label
    return COLUMN_WORDS.get(column, column)


def _form_field(graph: Graph, patient_field: PatientField, units: tuple[Unit, ...]) -> FormField:
    prop = URIRef(patient_field.property)
    choices = tuple(
        (code, _text(graph, URIRef(iri), RDFS.label) or code)
        for code, iri in patient_field.codes.items()
    )
    return FormField(
        column=patient_field.column,
        label=column_label(graph, patient_field.column),
        help=_text(graph, prop, SKOS.definition),
        kind=patient_field.kind.value,
        choices=choices if patient_field.kind is FieldKind.CODED else (),
        units=units,
    )


def _unit(graph: Graph, patient_field: PatientField) -> Unit:
    return Unit(
        patient_field.column, _text(graph, URIRef(patient_field.property), PEDALL.unitLabel)
    )


def form_fields(knowledge: KnowledgeBase) -> tuple[FormField, ...]:
    """One input per column of the patient model, in the contract's order; a field that
    converts to another is a unit of that field, not an input of its own."""
    graph = knowledge.graph
    fields = [f for f in toolkit(knowledge).model.fields if f.column != KARYOTYPE_COLUMN]
    converted: dict[str, list[PatientField]] = {}
    for patient_field in fields:
        if patient_field.converts_to is not None:
            converted.setdefault(patient_field.converts_to, []).append(patient_field)
    inputs = []
    for patient_field in fields:
        if patient_field.converts_to is not None:
            continue
        others = converted.get(patient_field.property, [])
        units = tuple(_unit(graph, f) for f in [patient_field, *others])
        inputs.append(_form_field(graph, patient_field, units))
    return tuple(inputs)


def karyotype_field(knowledge: KnowledgeBase) -> FormField:
    """The karyotype as free text, with the ontology's words for it when it has them."""
    graph = knowledge.graph
    help_text = next(
        (
            _text(graph, prop, SKOS.definition)
            for prop in graph.subjects(PEDALL.csvColumn, Literal(KARYOTYPE_COLUMN))
            if isinstance(prop, URIRef)
        ),
        "",
    )
    return FormField(
        column=KARYOTYPE_COLUMN,
        label=column_label(graph, KARYOTYPE_COLUMN),
        help=help_text or KARYOTYPE_HELP,
        kind="text",
    )


def _order(graph: Graph, node: URIRef) -> int:
    value = graph.value(node, PEDALL.formOrder)
    return int(value.toPython()) if isinstance(value, Literal) else 0


def lesion_groups(knowledge: KnowledgeBase) -> tuple[LesionGroup, ...]:
    """The lesion codes of the patient model in the groups of the data: a lesion belongs
    to the first group (by ``pedall:formOrder``) with a member among its superclasses (as
    OWL RL infers them); a group without members takes the lesions no group holds."""
    graph = knowledge.graph
    vocabulary = toolkit(knowledge).model.lesions
    lesions = {
        iri: label
        for iri, label in vocabulary.display.items()
        if iri.startswith(str(PEDALL)) and iri != str(PEDALL.GeneticLesion)
    }
    groups = sorted(
        (
            g
            for g in graph.subjects(RDF.type, PEDALL.CalculatorLesionGroup)
            if isinstance(g, URIRef)
        ),
        key=lambda g: (_order(graph, g), str(g)),
    )
    placed: dict[URIRef, list[str]] = {group: [] for group in groups}
    remainder = next((g for g in groups if (g, SKOS.member, None) not in graph), None)
    for iri in lesions:
        above = vocabulary.superclasses.get(iri, frozenset({iri}))
        home = next(
            (g for g in groups if any(str(m) in above for m in graph.objects(g, SKOS.member))),
            remainder,
        )
        if home is not None:
            placed[home].append(iri)
    return tuple(
        LesionGroup(
            str(group),
            _text(graph, group, RDFS.label),
            _text(graph, group, SKOS.definition),
            _as_tree(graph, members, lesions, vocabulary.superclasses),
        )
        for group, members in placed.items()
        if members
    )


def _as_tree(
    graph: Graph,
    members: list[str],
    labels: dict[str, str],
    superclasses: Mapping[str, frozenset[str]],
) -> tuple[LesionChoice, ...]:
    """The group's lesions in reading order: each after the lesion above it, indented."""
    shown = set(members)

    def ancestors(iri: str) -> list[str]:
        above = [a for a in superclasses.get(iri, frozenset()) if a in shown and a != iri]
        return sorted(above, key=lambda a: len(superclasses.get(a, frozenset())))

    def path(iri: str) -> tuple[tuple[tuple[int, str], ...], ...]:
        return tuple(reading_order(labels[a]) for a in [*ancestors(iri), iri])

    return tuple(
        LesionChoice(
            labels[iri], iri, _text(graph, URIRef(iri), SKOS.definition), len(ancestors(iri))
        )
        for iri in sorted(members, key=path)
    )


def reading_order(text: str) -> tuple[tuple[int, str], ...]:
    """How a person orders labels: numbers by value (trisomy 4 before trisomy 10),
    letters without case."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part.lower())
        for part in re.split(r"(\d+)", text)
    )


def calculator_form(knowledge: KnowledgeBase) -> CalculatorForm:
    """The calculator's form for this knowledge base."""
    fields = form_fields(knowledge)
    karyotype = karyotype_field(knowledge)
    columns = [c for f in fields for c in f.columns]
    columns += [KARYOTYPE_COLUMN, LESIONS_COLUMN, PENDING_COLUMN]
    labels = {column: column_label(knowledge.graph, column) for column in columns}
    return CalculatorForm(fields, karyotype, lesion_groups(knowledge), labels)
