"""The Phenopackets v2 to patient-table mapping, read from ``ontology/phenopacket-mapping.ttl``.

Which disease terms, sex values, assays, times, feature types, regimens, responses and units
stand for which table cell is data; this module only knows the structure:

- ``pedall:phenopacketTerm`` on a coded value gives that value's CSV code (a term on
  ``pedall:AcuteLymphoblasticLeukemia`` is ALL with the lineage not given); on a boolean
  field it is a disease whose presence is that field (Down syndrome); on a number field a
  measurement assay (WBC, blasts, MRD); on any other coded value (CNS1, CNS2, CNS3) a
  phenotypic feature type;
- ``pedall:phenopacketTime`` on a number field: the ``timeObserved`` ontology class its
  measurement must name (blasts after the prephase, MRD at the end of induction);
- ``pedall:phenopacketUnit`` with ``skos:notation`` and ``pedall:unitFactor``: the units of
  a number field and their factor to its own unit;
- ``pedall:phenopacketFeature`` on a boolean field: a phenotypic feature type whose presence
  is that field (testicular involvement);
- ``pedall:phenopacketRegimen`` with ``pedall:responseMeansTrue`` / ``responseMeansFalse`` on
  a boolean field: the therapeutic regimen whose ``responseToTreatment`` gives that field
  (complete remission after induction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import SKOS, Graph, Literal, URIRef

from pedall.namespaces import PEDALL
from pedall.patients.model import FieldKind, PatientField, PatientModel

ALL_WITHOUT_LINEAGE = PEDALL.AcuteLymphoblasticLeukemia
SEX = PEDALL.sex
IMMUNOPHENOTYPE = PEDALL.immunophenotype
AGE = PEDALL.ageYears


@dataclass(frozen=True)
class Response:
    """The boolean column a therapeutic regimen's response gives, and what each response
    (its CURIE) means."""

    column: str
    means: Mapping[str, bool]


@dataclass(frozen=True)
class PhenopacketMapping:
    """The mapping, as cell texts by phenopacket code and column names by role."""

    sex: Mapping[str, str]  # MALE -> the sex column's code
    lineage: Mapping[str, str]  # ALL disease term id -> immunophenotype code ("" = not given)
    disease_flags: Mapping[str, str]  # disease term id -> boolean column (Down syndrome)
    # assay id -> timeObserved ontology class id (None: any time) -> number column
    assays: Mapping[str, Mapping[str | None, str]]
    units: Mapping[str, Mapping[str, float]]  # number column -> unit id -> factor
    features: Mapping[str, tuple[str, str]]  # phenotypic feature type id -> (column, code)
    feature_flags: Mapping[str, str]  # phenotypic feature type id -> boolean column
    regimens: Mapping[str, Response]  # therapeutic regimen id -> its response's column
    sex_column: str
    lineage_column: str
    age_column: str

    def columns(self) -> set[str]:
        """The table columns that phenopacket elements other than subject, the ALL disease
        and the interpretations fill."""
        return {
            *(column for by_time in self.assays.values() for column in by_time.values()),
            *self.disease_flags.values(),
            *(column for column, _ in self.features.values()),
            *self.feature_flags.values(),
            *(response.column for response in self.regimens.values()),
        }

    @classmethod
    def from_graph(cls, graph: Graph, model: PatientModel) -> PhenopacketMapping:
        by_property = model.field_by_property()
        sex: dict[str, str] = {}
        lineage: dict[str, str] = {}
        flags: dict[str, str] = {}
        assays: dict[str, dict[str | None, str]] = {}
        units: dict[str, dict[str, float]] = {}
        features: dict[str, tuple[str, str]] = {}
        for subject, term in graph.subject_objects(PEDALL.phenopacketTerm):
            code = str(term)
            spec = by_property.get(str(subject))
            if subject == ALL_WITHOUT_LINEAGE:
                lineage[code] = ""
            elif spec is not None and spec.kind is FieldKind.BOOLEAN:
                flags[code] = spec.column
            elif spec is not None:
                time = graph.value(subject, PEDALL.phenopacketTime)
                assays.setdefault(code, {})[None if time is None else str(time)] = spec.column
                units[spec.column] = _units(graph, URIRef(str(subject)))
            else:
                owner = _coded_field(by_property, str(subject))
                if owner is None:
                    continue
                column, cell = owner
                if column == by_property[str(SEX)].column:
                    sex[code] = cell
                elif column == by_property[str(IMMUNOPHENOTYPE)].column:
                    lineage[code] = cell
                else:
                    features[code] = (column, cell)
        return cls(
            sex,
            lineage,
            flags,
            assays,
            units,
            features,
            _boolean_by_code(graph, by_property, PEDALL.phenopacketFeature),
            _regimens(graph, by_property),
            by_property[str(SEX)].column,
            by_property[str(IMMUNOPHENOTYPE)].column,
            by_property[str(AGE)].column,
        )


def _coded_field(by_property: Mapping[str, PatientField], value: str) -> tuple[str, str] | None:
    """The column and CSV code of a coded value."""
    for spec in by_property.values():
        for code, iri in spec.codes.items():
            if iri == value:
                return spec.column, code
    return None


def _boolean_by_code(
    graph: Graph, by_property: Mapping[str, PatientField], predicate: URIRef
) -> dict[str, str]:
    """Each code a boolean field names with ``predicate``, and that field's column."""
    out: dict[str, str] = {}
    for subject, code in graph.subject_objects(predicate):
        spec = by_property.get(str(subject))
        if spec is not None and spec.kind is FieldKind.BOOLEAN:
            out[str(code)] = spec.column
    return out


def _regimens(graph: Graph, by_property: Mapping[str, PatientField]) -> dict[str, Response]:
    out: dict[str, Response] = {}
    for subject, regimen in graph.subject_objects(PEDALL.phenopacketRegimen):
        spec = by_property.get(str(subject))
        if spec is None or spec.kind is not FieldKind.BOOLEAN:
            continue
        means = {str(code): True for code in graph.objects(subject, PEDALL.responseMeansTrue)}
        means |= {str(code): False for code in graph.objects(subject, PEDALL.responseMeansFalse)}
        out[str(regimen)] = Response(spec.column, means)
    return out


def _units(graph: Graph, field: URIRef) -> dict[str, float]:
    units: dict[str, float] = {}
    for unit in graph.objects(field, PEDALL.phenopacketUnit):
        notation = graph.value(unit, SKOS.notation)
        factor = graph.value(unit, PEDALL.unitFactor)
        if isinstance(notation, Literal) and isinstance(factor, Literal):
            units[str(notation)] = float(factor.toPython())
    return units
