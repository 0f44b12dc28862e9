"""Phenopackets v2 in, the Table 1 fields beyond the diagnosis: testicular involvement (a
phenotypic feature), peripheral blasts after the steroid prephase and MRD at the end of
induction (measurements at the time their timeObserved names), complete remission after
induction (the response to the induction regimen), and an iscn expression that is a whole
karyotype (the karyotype column). Each phenopacket, built with the official classes, reads
and classifies as the same patient written as a CSV row."""

from __future__ import annotations

import json
from dataclasses import dataclass

import phenopackets as pp
import pytest
from google.protobuf import json_format

from pedall.api import classify_input, read_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL

HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,lesions,karyotype\n"
)
TESTIS = "pedall:factor-testicular-involvement"
BLASTS = "NCIT:C74605"
AFTER_PREPHASE = "pedall:tp-after-prephase"
MRD = "pedall:factor-mrd"
END_OF_INDUCTION = "pedall:tp-end-of-induction"
INDUCTION = "NCIT:C158876"
COMPLETE_REMISSION = "NCIT:C4870"
NO_REMISSION = "NCIT:C178072"
SOURCE = "registry.json"


def term(identifier: str) -> pp.OntologyClass:
    return pp.OntologyClass(id=identifier, label=identifier)


@dataclass(frozen=True)
class Measured:
    """One measurement: assay, value, unit and the ontology class of its timeObserved."""

    assay: str
    value: float
    unit: str
    time: str | None

    def message(self) -> pp.Measurement:
        measurement = pp.Measurement(
            assay=term(self.assay),
            value=pp.Value(quantity=pp.Quantity(unit=term(self.unit), value=self.value)),
        )
        if self.time is not None:
            measurement.time_observed.CopyFrom(pp.TimeElement(ontology_class=term(self.time)))
        return measurement


def blasts(value: float, unit: str = "UO:0000316", time: str | None = AFTER_PREPHASE) -> Measured:
    return Measured(BLASTS, value, unit, time)


def mrd(value: float, unit: str = "UCUM:%", time: str | None = END_OF_INDUCTION) -> Measured:
    return Measured(MRD, value, unit, time)


def induction(response: str, regimen: str = INDUCTION) -> pp.MedicalAction:
    return pp.MedicalAction(
        therapeutic_regimen=pp.TherapeuticRegimen(
            ontology_class=term(regimen), regimen_status=pp.TherapeuticRegimen.COMPLETED
        ),
        treatment_target=term("NCIT:C8936"),
        response_to_treatment=term(response),
    )


def phenopacket(
    patient_id: str = "P1",
    *,
    disease: str = "NCIT:C8936",
    testis: tuple[bool, ...] = (),
    measured: tuple[Measured, ...] = (),
    actions: tuple[pp.MedicalAction, ...] = (),
    findings: tuple[pp.GenomicInterpretation, ...] = (),
) -> pp.Phenopacket:
    """A phenopacket: a boy of 5.5 years, WBC 12,000/uL, genetics complete with the given
    findings (none: no lesion found), and the given testicular features (True observed,
    False excluded), measurements and medical actions."""
    packet = pp.Phenopacket(
        id=f"pp-{patient_id}",
        subject=pp.Individual(id=patient_id, sex=pp.MALE),
        meta_data=pp.MetaData(created_by="test", phenopacket_schema_version="2.0"),
    )
    onset = pp.TimeElement(age=pp.Age(iso8601duration="P5Y6M"))
    packet.diseases.append(pp.Disease(term=term(disease), onset=onset))
    wbc = Measured("LOINC:26464-8", 12000, "UO:0000316", None)
    packet.measurements.extend(m.message() for m in (wbc, *measured))
    packet.phenotypic_features.extend(
        pp.PhenotypicFeature(type=term(TESTIS), excluded=not seen) for seen in testis
    )
    packet.medical_actions.extend(actions)
    packet.interpretations.append(
        pp.Interpretation(
            id=f"i-{patient_id}",
            progress_status=pp.Interpretation.COMPLETED,
            diagnosis=pp.Diagnosis(disease=term(disease), genomic_interpretations=findings),
        )
    )
    return packet


def body(*packets: pp.Phenopacket) -> bytes:
    return json.dumps([json_format.MessageToDict(p) for p in packets]).encode()


def row(patient_id: str = "P1", lineage: str = "B", *, testis: str = "", blasts: str = "",
        mrd: str = "", cr: str = "", karyotype: str = "") -> str:  # fmt: skip
    return f'{patient_id},M,5.5,12000,{lineage},{testis},{blasts},{mrd},{cr},,"{karyotype}"\n'


def same_patients(
    kb: KnowledgeBase,
    packets: tuple[pp.Phenopacket, ...],
    rows: str,
    engine: str = "fast",
    header: str = HEADER,
) -> None:
    """The phenopackets read and classify as the CSV rows do, with no error."""
    table = (header + rows).encode()
    from_packets = read_input(kb, body(*packets), "application/json", SOURCE)
    from_rows = read_input(kb, table, "text/csv", "table.csv")
    assert [i for i in from_packets.issues if i.is_error] == []
    assert [i for i in from_rows.issues if i.is_error] == []
    assert [r.values for r in from_packets.records] == [r.values for r in from_rows.records]
    assert [r.lesions for r in from_packets.records] == [r.lesions for r in from_rows.records]
    # The records are equal, so the rows are classified once, by the fast engine: with
    # ``engine="reference"`` the phenopackets' outcomes (pyshacl) must equal those too.
    packet_outcome = classify_input(kb, body(*packets), "application/json", engine=engine)
    row_outcome = classify_input(kb, table, "text/csv")
    assert [r.outcome for r in packet_outcome.results] == [r.outcome for r in row_outcome.results]
    assert len(packet_outcome.results) == len(packets)


@pytest.mark.parametrize(("seen", "cell"), [((True,), "true"), ((False,), "false"), ((), "")])
def test_testicular_involvement_is_a_phenotypic_feature(
    knowledge_base: KnowledgeBase, seen: tuple[bool, ...], cell: str
) -> None:
    same_patients(knowledge_base, (phenopacket(testis=seen),), row(testis=cell))


@pytest.mark.parametrize(
    ("unit", "value"),
    [("UO:0000316", 1500), ("UCUM:/uL", 1500), ("UCUM:10*3/uL", 1.5), ("UCUM:10*9/L", 1.5)],
)
def test_blasts_after_the_prephase_are_converted_to_per_microliter(
    knowledge_base: KnowledgeBase, unit: str, value: float
) -> None:
    packet = phenopacket(measured=(blasts(value, unit),))
    same_patients(knowledge_base, (packet,), row(blasts="1500"))


@pytest.mark.parametrize("unit", ["UCUM:%", "UO:0000187", "NCIT:C48570"])
def test_mrd_at_the_end_of_induction_is_in_percent(
    knowledge_base: KnowledgeBase, unit: str
) -> None:
    packet = phenopacket(measured=(mrd(0.05, unit),))
    same_patients(knowledge_base, (packet,), row(mrd="0.05"))


@pytest.mark.parametrize(
    ("response", "cell"), [(COMPLETE_REMISSION, "true"), (NO_REMISSION, "false")]
)
def test_remission_is_the_response_to_the_induction_regimen(
    knowledge_base: KnowledgeBase, response: str, cell: str
) -> None:
    packet = phenopacket(actions=(induction(response),))
    same_patients(knowledge_base, (packet,), row(cr=cell))


def test_values_at_other_times_or_of_other_regimens_are_not_the_fields(
    knowledge_base: KnowledgeBase,
) -> None:
    # Blasts at the end of induction, MRD after the prephase and the response to another
    # regimen are real data, but not Table 1's fields: the patient reads as these are unknown.
    packet = phenopacket(
        measured=(blasts(5000, time=END_OF_INDUCTION), mrd(3.0, time=AFTER_PREPHASE)),
        actions=(induction(NO_REMISSION, regimen="pedall:phase-consolidation"),),
    )
    same_patients(knowledge_base, (packet,), row())


def test_a_blast_count_without_a_time_is_a_warning_and_not_read(
    knowledge_base: KnowledgeBase,
) -> None:
    packet = phenopacket(measured=(blasts(5000, time=None),))
    read = read_input(knowledge_base, body(packet), "application/json", SOURCE)
    [issue] = read.issues
    assert issue.severity == "warning"
    assert (issue.column, issue.patient_id) == (
        "phenopackets[0].measurements[1].timeObserved",
        "P1",
    )
    assert AFTER_PREPHASE in issue.message
    same_patients(knowledge_base, (packet,), row())


HYPODIPLOID = "44,XY,-7,-9[15]/46,XY[5]"
KARYOTYPE_HEADER = "patient_id,sex,age_years,wbc_per_ul,immunophenotype,lesions,karyotype\n"


def finding(label: str = "", *iscn: str) -> pp.GenomicInterpretation:
    descriptor = pp.VariationDescriptor(id="v1", label=label)
    descriptor.expressions.extend(pp.Expression(syntax="iscn", value=value) for value in iscn)
    return pp.GenomicInterpretation(
        subject_or_biosample_id="P1",
        interpretation_status=pp.GenomicInterpretation.CAUSATIVE,
        variant_interpretation=pp.VariantInterpretation(variation_descriptor=descriptor),
    )


@pytest.mark.parametrize(
    ("found", "lesions", "karyotype"),
    [
        (finding("", "46,XY,t(9;22)(q34;q11.2)[20]"), "", "46,XY,t(9;22)(q34;q11.2)[20]"),
        (
            finding("", "55,XY,+4,+6,+10,+14,+17,+18,+21,+21,+X"),
            "",
            "55,XY,+4,+6,+10,+14,+17,+18,+21,+21,+X",
        ),
        (finding("ETV6::RUNX1", "46,XY[20]"), "ETV6::RUNX1", "46,XY[20]"),
        (finding("", "t(12;21)(p13;q22)", "46,XY[20]"), "t(12;21)(p13;q22)", "46,XY[20]"),
    ],
)
def test_a_whole_karyotype_reads_like_the_karyotype_column(
    knowledge_base: KnowledgeBase, found: pp.GenomicInterpretation, lesions: str, karyotype: str
) -> None:
    # The karyotype gives the chromosome count and the lesions it names, as in the table.
    packet = phenopacket(findings=(found,))
    line = f'P1,M,5.5,12000,B,{lesions},"{karyotype}"\n'
    same_patients(knowledge_base, (packet,), line, header=KARYOTYPE_HEADER)
    [record] = read_input(knowledge_base, body(packet), "application/json", SOURCE).records
    assert record.values[str(PEDALL.chromosomeCount)] == int(karyotype.split(",")[0])


def wrong_kind_of_mrd() -> pp.Phenopacket:
    packet = phenopacket("P2")
    packet.measurements.append(
        pp.Measurement(
            assay=term(MRD),
            value=pp.Value(ontology_class=term("NCIT:C25626")),
            time_observed=pp.TimeElement(ontology_class=term(END_OF_INDUCTION)),
        )
    )
    return packet


def trisomy_21c_without_down_syndrome() -> pp.Phenopacket:
    packet = phenopacket("P2", findings=(finding("", "47,XY,+21c"),))
    packet.diseases.append(pp.Disease(term=term("MONDO:0008608"), excluded=True))
    return packet


BROKEN: list[tuple[pp.Phenopacket, str, str]] = [
    (
        phenopacket("P2", measured=(blasts(12, unit="UCUM:%"),)),
        "phenopackets[1].measurements[1].value.quantity.unit.id",
        "UCUM:10*9/L",
    ),
    (
        phenopacket("P2", measured=(mrd(0.5, unit="UO:0000316"),)),
        "phenopackets[1].measurements[1].value.quantity.unit.id",
        "UCUM:%",
    ),
    (wrong_kind_of_mrd(), "phenopackets[1].measurements[1].value", "value.quantity"),
    (
        phenopacket("P2", actions=(induction("NCIT:C18058"),)),
        "phenopackets[1].medicalActions[0].responseToTreatment.id",
        f"{COMPLETE_REMISSION} (true) or {NO_REMISSION} (false)",
    ),
    (
        phenopacket("P2", measured=(mrd(0.5), mrd(0.001))),
        "phenopackets[1].measurements[2].assay.id",
        "a second mrd_eoi_percent value (the first is at measurements[1]",
    ),
    (
        phenopacket("P2", findings=(finding("", "46,XY,foo"),)),
        "phenopackets[1].interpretations[0].diagnosis.genomicInterpretations[0]"
        ".variantInterpretation.variationDescriptor.expressions[0].value",
        "expected an ISCN karyotype",
    ),
    (
        phenopacket("P2", findings=(finding("", "46,XY[20]"), finding("", "47,XY,+21c"))),
        "phenopackets[1].interpretations[0].diagnosis.genomicInterpretations[1]"
        ".variantInterpretation.variationDescriptor.expressions[0].value",
        "a second karyotype value",
    ),
    (
        trisomy_21c_without_down_syndrome(),
        "phenopackets[1].interpretations[0].diagnosis.genomicInterpretations[0]"
        ".variantInterpretation.variationDescriptor.expressions[0].value",
        "down_syndrome",
    ),
    (
        phenopacket("P2", testis=(True, False)),
        "phenopackets[1].phenotypicFeatures[1].type.id",
        "a second testicular_involvement value",
    ),
]


@pytest.mark.parametrize(("broken", "path", "says"), BROKEN)
def test_a_broken_field_is_located_and_the_others_classified(
    knowledge_base: KnowledgeBase, broken: pp.Phenopacket, path: str, says: str
) -> None:
    payload = body(phenopacket("P1"), broken, phenopacket("P3"))
    outcome = classify_input(knowledge_base, payload, "application/json", source=SOURCE)
    assert [r.patient_id for r in outcome.results] == ["P1", "P3"]
    [issue] = outcome.issues
    assert (issue.source, issue.patient_id, issue.column, issue.line) == (SOURCE, "P2", path, None)
    assert issue.is_error
    assert says in issue.message


def cohort() -> tuple[tuple[pp.Phenopacket, ...], str]:
    """Patients whose new fields decide or widen their groups, with their CSV rows."""
    packets = (
        phenopacket(
            "P1",
            testis=(False,),
            measured=(blasts(300), mrd(0.005)),
            actions=(induction(COMPLETE_REMISSION),),
        ),
        phenopacket("P2", testis=(True,), measured=(blasts(2.5, "UCUM:10*9/L"),)),
        phenopacket(
            "P3",
            disease="NCIT:C3183",
            measured=(blasts(800), mrd(1.2, "NCIT:C48570")),
            actions=(induction(COMPLETE_REMISSION),),
        ),
        phenopacket("P4", disease="NCIT:C3183", measured=(blasts(1.0, "UCUM:10*3/uL"),)),
        phenopacket("P5", actions=(induction(NO_REMISSION),)),
        phenopacket("P6", measured=(blasts(200),), findings=(finding("", HYPODIPLOID),)),
    )
    rows = (
        row("P1", testis="false", blasts="300", mrd="0.005", cr="true")
        + row("P2", testis="true", blasts="2500")
        + row("P3", "T", blasts="800", mrd="1.2", cr="true")
        + row("P4", "T", blasts="1000")
        + row("P5", cr="false")
        + row("P6", blasts="200", karyotype=HYPODIPLOID)
    )
    return packets, rows


def test_a_cohort_classifies_as_its_table(knowledge_base: KnowledgeBase) -> None:
    packets, rows = cohort()
    same_patients(knowledge_base, packets, rows)
    outcome = classify_input(knowledge_base, body(*packets), "application/json")
    groups = [r.outcome.risk_group for r in outcome.results]
    # Testicular involvement is high; in T-ALL 800 blasts/uL after the prephase is a good
    # response (high), 1,000/uL (given as 1.0 10^3/uL) a poor one, as is no remission, and
    # a karyotype of 44 chromosomes (hypodiploid, under 45).
    assert groups[1:] == ["high", "high", "very-high", "very-high", "very-high"]


@pytest.mark.slow
def test_the_reference_engine_classifies_the_cohort_as_its_table(
    knowledge_base: KnowledgeBase,
) -> None:
    packets, rows = cohort()
    same_patients(knowledge_base, packets, rows, engine="reference")
