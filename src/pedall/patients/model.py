"""The patient fields (CSV columns), their kinds and codes, and the lesion vocabulary, read
from the ontology.

Nothing here knows a clinical fact: the columns come from ``pedall:csvColumn``
annotations, the codes from ``pedall:csvCode``, the lesion codes from the labels and
synonyms of the subclasses of ``pedall:GeneticLesion``, and each lesion's superclasses
from the OWL RL closure of the ontology (so KMT2A-AFF1 is known to be a KMT2A
rearrangement by inference, not by Python).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef

from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.lesion_notation import NotationIndex

XSD_NUMBER_TYPES = {
    "http://www.w3.org/2001/XMLSchema#decimal",
    "http://www.w3.org/2001/XMLSchema#double",
    "http://www.w3.org/2001/XMLSchema#float",
}
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
ID_COLUMN = "patient_id"
LESIONS_COLUMN = "lesions"
LESIONS_PENDING_COLUMN = "lesions_pending"
KARYOTYPE_COLUMN = "karyotype"
# The class every lesion belongs to: pending, it stands for "no genetic result is back".
ANY_LESION = str(PEDALL.GeneticLesion)
Bounds = tuple[float | None, float | None]  # (least, greatest), both inclusive
# Columns read by the patient readers themselves, not as fields of the ontology.
LESION_COLUMNS = (LESIONS_COLUMN, LESIONS_PENDING_COLUMN, KARYOTYPE_COLUMN)


class FieldKind(Enum):
    """How the cells of a column are read."""

    IDENTIFIER = "identifier"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CODED = "coded"


@dataclass(frozen=True)
class PatientField:
    """One column of the patient table and the property it fills."""

    column: str
    property: str
    kind: FieldKind
    codes: Mapping[str, str]  # upper-cased code -> IRI of the coded value (CODED only)
    # A field in another unit: the property pedall reads the quantity from, and what one
    # unit of this field is there (pedall:convertsTo, pedall:conversionFactor).
    converts_to: str | None = None
    factor: float = 1.0
    unit: str | None = None  # how a value is written for a person (pedall:unitLabel)

    def expected(self) -> str:
        """What a cell of this column must hold, for error messages."""
        if self.kind is FieldKind.NUMBER:
            return "a number (plain digits, '.' for decimals, e.g. 12.5)"
        if self.kind is FieldKind.INTEGER:
            return "a whole number"
        if self.kind is FieldKind.BOOLEAN:
            return "true or false"
        if self.kind is FieldKind.CODED:
            return "one of " + ", ".join(sorted(self.display_codes()))
        return "a non-empty identifier"

    def display_codes(self) -> list[str]:
        return list(self.codes)


REMEMBERED_LESION_LISTS = 4_096  # bound on the lesion lists remembered (memory, not data)


@dataclass(frozen=True)
class LesionVocabulary:
    """Lesion codes and synonyms (case-insensitive) -> lesion class IRI, and each lesion
    class's superclasses (itself included) as inferred by OWL RL."""

    by_code: Mapping[str, str]
    spelled: Mapping[str, str]  # normalized code -> the code as the ontology spells it
    display: Mapping[str, str]  # IRI -> preferred label
    superclasses: Mapping[str, frozenset[str]]
    notation: NotationIndex = field(default_factory=lambda: NotationIndex({}, ()))
    gene_symbols: frozenset[str] = frozenset()  # normalized labels and synonyms of genes
    # The bounds a lesion class puts on patient properties (pedall:minChromosomeCount ...):
    # lesion IRI -> property IRI -> (least, greatest).
    bounds: Mapping[str, Mapping[str, Bounds]] = field(default_factory=dict)
    # ``bounds_of`` by the lesions recorded (a few distinct lists in a cohort), bounded.
    _bounds_of: dict[tuple[str, ...], Mapping[str, Bounds]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def resolve(self, code: str) -> str | None:
        """The lesion class of a code: a label or synonym (whatever the case), the same
        spelled without separators, or an ISCN rearrangement matching a class's pattern."""
        found = self.by_code.get(normalize_code(code))
        return found if found is not None else self.notation.resolve(code)

    def is_gene_symbol(self, code: str) -> bool:
        """Whether a code is a bare gene symbol (then read as a lesion of that gene)."""
        return normalize_code(code) in self.gene_symbols

    def closest(self, code: str, n: int = 3) -> list[str]:
        """Known codes closest to an unknown one, as suggestions."""
        matches = difflib.get_close_matches(normalize_code(code), self.by_code, n=n, cutoff=0.5)
        return [self.spelled[m] for m in matches]

    def closure(self, lesions: tuple[str, ...]) -> frozenset[str]:
        out: set[str] = set()
        for lesion in lesions:
            out |= self.superclasses.get(lesion, frozenset({lesion}))
        return frozenset(out)

    def bounds_of(self, lesions: tuple[str, ...]) -> Mapping[str, Bounds]:
        """The bounds that recorded lesions put on patient properties (a low hypodiploidy
        bounds the chromosome count to its range): each property's tightest bounds over the
        lesions and their superclasses. A least above the greatest is a contradiction."""
        found = self._bounds_of.get(lesions)
        if found is None:
            found = self._tightest_bounds(lesions)
            if len(self._bounds_of) < REMEMBERED_LESION_LISTS:
                self._bounds_of[lesions] = found
        return found

    def _tightest_bounds(self, lesions: tuple[str, ...]) -> Mapping[str, Bounds]:
        out: dict[str, Bounds] = {}
        for lesion in self.closure(lesions):
            for prop, (least, greatest) in self.bounds.get(lesion, {}).items():
                low, high = out.get(prop, (None, None))
                if least is not None and (low is None or least > low):
                    low = least
                if greatest is not None and (high is None or greatest < high):
                    high = greatest
                out[prop] = (low, high)
        return out

    def cuts(self) -> dict[str, set[float]]:
        """Where the lesions' bounds cut each property's values (as the shapes' thresholds
        do: a bound ``b`` as a least is the point ``b``, as a greatest the region above it
        begins after ``b``)."""
        out: dict[str, set[float]] = {}
        for by_property in self.bounds.values():
            for prop, (least, greatest) in by_property.items():
                out.setdefault(prop, set()).update(b for b in (least, greatest) if b is not None)
        return out


def normalize_code(code: str) -> str:
    return " ".join(code.strip().lower().split())


@dataclass(frozen=True)
class KaryotypeMeaning:
    """What pedall reads from a karyotype into other fields (pedall:modalNumberIn,
    pedall:constitutionalChange): the property of the modal number, and the boolean
    property each constitutional change makes true ("+21c" -> Down syndrome)."""

    property: str = str(PEDALL.recordedKaryotype)
    modal_number: str | None = None
    constitutional: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Graph) -> KaryotypeMeaning:
        prop = PEDALL.recordedKaryotype
        count = graph.value(prop, PEDALL.modalNumberIn)
        changes = {
            str(change).lower(): str(target)
            for target, change in graph.subject_objects(PEDALL.constitutionalChange)
        }
        return cls(str(prop), str(count) if count is not None else None, changes)


@dataclass(frozen=True)
class PatientModel:
    """The patient fields in CSV column order, plus the lesion vocabulary."""

    fields: tuple[PatientField, ...]
    lesions: LesionVocabulary
    karyotype: KaryotypeMeaning = field(default_factory=KaryotypeMeaning)

    @property
    def columns(self) -> list[str]:
        return [ID_COLUMN, *(f.column for f in self.fields), *LESION_COLUMNS]

    def field_by_property(self) -> dict[str, PatientField]:
        return {f.property: f for f in self.fields}

    def field_by_column(self) -> dict[str, PatientField]:
        return {f.column: f for f in self.fields}

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase) -> PatientModel:
        return cls(
            fields=_read_fields(kb.graph),
            lesions=_read_lesions(kb),
            karyotype=KaryotypeMeaning.from_graph(kb.graph),
        )


def _read_fields(graph: Graph) -> tuple[PatientField, ...]:
    fields = []
    for prop, column in graph.subject_objects(PEDALL.csvColumn):
        name = str(column)
        if name == ID_COLUMN or name in LESION_COLUMNS:
            continue
        range_ = graph.value(prop, RDFS.range)
        codes: dict[str, str] = {}
        if (prop, RDF.type, OWL.ObjectProperty) in graph and range_ is not None:
            kind = FieldKind.CODED
            for value in graph.subjects(RDF.type, range_):
                code = graph.value(value, PEDALL.csvCode)
                if code is not None:
                    codes[str(code).upper()] = str(value)
        elif str(range_) == XSD_INTEGER:
            kind = FieldKind.INTEGER
        elif str(range_) == XSD_BOOLEAN:
            kind = FieldKind.BOOLEAN
        elif str(range_) in XSD_NUMBER_TYPES:
            kind = FieldKind.NUMBER
        else:
            kind = FieldKind.IDENTIFIER
        target = graph.value(prop, PEDALL.convertsTo)
        factor = graph.value(prop, PEDALL.conversionFactor)
        fields.append(
            PatientField(
                name,
                str(prop),
                kind,
                dict(sorted(codes.items())),
                str(target) if target is not None else None,
                float(factor.toPython()) if isinstance(factor, Literal) else 1.0,
                _text_or_none(graph.value(prop, PEDALL.unitLabel)),
            )
        )
    return tuple(sorted(fields, key=lambda f: _column_order(graph, f)))


def _text_or_none(node: object) -> str | None:
    return str(node) if node is not None else None


def _column_order(graph: Graph, field: PatientField) -> tuple[bool, int, str]:
    # The contract's column order is kept as data (pedall:csvColumnOrder); columns without
    # one come after those with one, by name.
    order = graph.value(URIRef(field.property), PEDALL.csvColumnOrder)
    if isinstance(order, Literal):
        return (False, int(order), field.column)
    return (True, 0, field.column)


def _read_lesions(kb: KnowledgeBase) -> LesionVocabulary:
    inferred = kb.inferred
    lesion_classes = {
        str(c)
        for c in inferred.transitive_subjects(RDFS.subClassOf, PEDALL.GeneticLesion)
        # OWL RL makes owl:Nothing a subclass of everything; only pedall's own classes
        # are lesion codes.
        if isinstance(c, URIRef) and c.startswith(str(PEDALL))
    }
    by_code: dict[str, str] = {}
    spelled: dict[str, str] = {}
    display: dict[str, str] = {}
    for iri in sorted(lesion_classes):
        node = URIRef(iri)
        label = kb.graph.value(node, RDFS.label)
        display[iri] = str(label) if label is not None else iri
        names = [label, *kb.graph.objects(node, SKOS.altLabel), kb.graph.value(node, SKOS.notation)]
        names.append(Literal(iri.rsplit("/", 1)[-1]))
        for name in names:
            if name is not None and normalize_code(str(name)) not in by_code:
                by_code[normalize_code(str(name))] = iri
                spelled[normalize_code(str(name))] = str(name)
    superclasses = _lesion_superclasses(inferred, lesion_classes)
    patterns = [
        (str(pattern), iri)
        for iri in sorted(lesion_classes)
        for pattern in kb.graph.objects(URIRef(iri), PEDALL.iscnPattern)
    ]
    notation = NotationIndex.build(by_code.items(), patterns)
    genes = frozenset(
        normalize_code(str(name))
        for gene in kb.graph.subjects(RDF.type, PEDALL.Gene)
        for name in (*kb.graph.objects(gene, RDFS.label), *kb.graph.objects(gene, SKOS.altLabel))
    )
    return LesionVocabulary(
        by_code, spelled, display, superclasses, notation, genes, _lesion_bounds(kb.graph)
    )


def _lesion_bounds(graph: Graph) -> dict[str, dict[str, Bounds]]:
    """The bounds lesion classes put on patient properties: each annotation property that
    ``pedall:boundsFromBelow`` (a least) or ``pedall:boundsFromAbove`` (a greatest) a
    property, with its values on the lesion classes."""
    out: dict[str, dict[str, Bounds]] = {}
    for end, link in enumerate((PEDALL.boundsFromBelow, PEDALL.boundsFromAbove)):
        for annotation, prop in graph.subject_objects(link):
            for lesion, value in graph.subject_objects(annotation):
                if not isinstance(value, Literal):
                    continue
                pair = list(out.setdefault(str(lesion), {}).get(str(prop), (None, None)))
                pair[end] = float(value.toPython())
                out[str(lesion)][str(prop)] = (pair[0], pair[1])
    return out


def _lesion_superclasses(inferred: Graph, lesion_classes: set[str]) -> dict[str, frozenset[str]]:
    """Each lesion class's named superclasses, from the OWL RL closure of the ontology."""
    return {
        iri: frozenset(
            {iri}
            | {
                str(c)
                for c in inferred.objects(URIRef(iri), RDFS.subClassOf)
                if isinstance(c, URIRef)
            }
        )
        for iri in lesion_classes
    }
