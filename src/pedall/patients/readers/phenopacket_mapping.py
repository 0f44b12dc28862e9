"""The Phenopackets v2 to patient-table mapping, read from ``ontology/phenopacket-mapping.ttl``.

Which disease terms, sex values, assays and units stand for which table cell is data
(``pedall:phenopacketTerm``, ``pedall:phenopacketUnit`` with ``skos:notation`` and
``pedall:unitFactor``); this module only knows the structure: a term on a coded value
gives that value's CSV code, a term on ``pedall:AcuteLymphoblasticLeukemia`` is ALL with
the lineage not given, a term on a boolean field is a disease whose presence is that field,
a term on a number field is a measurement assay, a term on any other coded value (CNS1, CNS2,
CNS3) is a phenotypic feature type.
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
class PhenopacketMapping:
    """The mapping, as cell texts by phenopacket code and column names by role."""

    sex: Mapping[str, str]  # MALE -> the sex column's code
    lineage: Mapping[str, str]  # ALL disease term id -> immunophenotype code ("" = not given)
    disease_flags: Mapping[str, str]  # disease term id -> boolean column (Down syndrome)
    assays: Mapping[str, str]  # assay id -> number column (WBC)
    units: Mapping[str, Mapping[str, float]]  # number column -> unit id -> factor
    features: Mapping[str, tuple[str, str]]  # phenotypic feature type id -> (column, code)
    sex_column: str
    lineage_column: str
    age_column: str

    @classmethod
    def from_graph(cls, graph: Graph, model: PatientModel) -> PhenopacketMapping:
        by_property = model.field_by_property()
        sex: dict[str, str] = {}
        lineage: dict[str, str] = {}
        flags: dict[str, str] = {}
        assays: dict[str, str] = {}
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
                assays[code] = spec.column
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


def _units(graph: Graph, field: URIRef) -> dict[str, float]:
    units: dict[str, float] = {}
    for unit in graph.objects(field, PEDALL.phenopacketUnit):
        notation = graph.value(unit, SKOS.notation)
        factor = graph.value(unit, PEDALL.unitFactor)
        if isinstance(notation, Literal) and isinstance(factor, Literal):
            units[str(notation)] = float(factor.toPython())
    return units
