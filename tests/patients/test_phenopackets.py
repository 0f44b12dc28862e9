"""GA4GH Phenopackets v2 in: a phenopacket built with the official classes reads and
classifies as the same patient written as a CSV row does; a broken one is located."""

from __future__ import annotations

import json
from typing import Any

import phenopackets as pp
import pytest
from google.protobuf import json_format

from pedall.api import classify_input, read_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.readers.csv_table import PatientRecord
from pedall.patients.readers.phenopacket_cells import duration_years
from pedall.patients.readers.registry import reader_for_path

PHENOPACKET = "application/x-phenopacket+json"
CSV_HEADER = "patient_id,sex,age_years,wbc_per_ul,immunophenotype,down_syndrome,lesions\n"
PENDING_HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,down_syndrome,lesions,lesions_pending\n"
)


def term(identifier: str, label: str = "") -> pp.OntologyClass:
    return pp.OntologyClass(id=identifier, label=label or identifier)


def finding(label: str, status: str = "CAUSATIVE", iscn: str = "") -> pp.GenomicInterpretation:
    descriptor = pp.VariationDescriptor(id=f"v-{label or iscn}", label=label)
    if iscn:
        descriptor.expressions.append(pp.Expression(syntax="iscn", value=iscn))
    return pp.GenomicInterpretation(
        subject_or_biosample_id="P1",
        interpretation_status=pp.GenomicInterpretation.InterpretationStatus.Value(status),
        variant_interpretation=pp.VariantInterpretation(variation_descriptor=descriptor),
    )


def phenopacket(
    patient_id: str = "P1",
    *,
    disease: str = "NCIT:C8936",
    age: str = "P5Y6M",
    wbc: float = 12000,
    unit: str = "UO:0000316",
    findings: tuple[pp.GenomicInterpretation, ...] = (),
    progress: str | None = "COMPLETED",
    down_syndrome: bool | None = None,
) -> pp.Phenopacket:
    packet = pp.Phenopacket(
        id=f"pp-{patient_id}",
        subject=pp.Individual(id=patient_id, sex=pp.MALE),
        meta_data=pp.MetaData(created_by="test", phenopacket_schema_version="2.0"),
    )
    packet.diseases.append(
        pp.Disease(term=term(disease), onset=pp.TimeElement(age=pp.Age(iso8601duration=age)))
    )
    if down_syndrome is not None:
        packet.diseases.append(
            pp.Disease(term=term("MONDO:0008608", "Down syndrome"), excluded=not down_syndrome)
        )
    packet.measurements.append(
        pp.Measurement(
            assay=term("LOINC:26464-8", "Leukocytes [#/volume] in Blood"),
            value=pp.Value(quantity=pp.Quantity(unit=term(unit), value=wbc)),
        )
    )
    if progress is not None:
        packet.interpretations.append(
            pp.Interpretation(
                id=f"i-{patient_id}",
                progress_status=pp.Interpretation.ProgressStatus.Value(progress),
                diagnosis=pp.Diagnosis(disease=term(disease), genomic_interpretations=findings),
            )
        )
    return packet


def as_json(*packets: pp.Phenopacket) -> list[dict[str, Any]]:
    return [json_format.MessageToDict(packet) for packet in packets]


def records(kb: KnowledgeBase, payload: str, media_type: str) -> list[PatientRecord]:
    read = read_input(kb, payload.encode(), media_type, "in")
    assert [i for i in read.issues if i.is_error] == []
    return read.records


def same_patient(kb: KnowledgeBase, packet: pp.Phenopacket, csv: str, media: str = "") -> None:
    """The phenopacket reads and classifies as the CSV table does."""
    body = json.dumps(as_json(packet)[0])
    from_packet = records(kb, body, media or "application/json")[0]
    from_row = records(kb, csv, "text/csv")[0]
    assert from_packet.values == from_row.values
    assert from_packet.lesions == from_row.lesions
    assert from_packet.pending_classes == from_row.pending_classes
    packet_result = classify_input(kb, body.encode(), "application/json").results
    row_result = classify_input(kb, csv.encode(), "text/csv").results
    assert [r.outcome for r in packet_result] == [r.outcome for r in row_result]


def test_complete_phenopacket_is_the_csv_row(knowledge_base: KnowledgeBase) -> None:
    packet = phenopacket(findings=(finding("ETV6-RUNX1"),), down_syndrome=False)
    same_patient(knowledge_base, packet, CSV_HEADER + "P1,M,5.5,12000,B,false,ETV6-RUNX1\n")


@pytest.mark.parametrize(
    ("unit", "value"),
    [("UO:0000316", 60000), ("UCUM:/uL", 60000), ("UCUM:10*3/uL", 60), ("UCUM:10*9/L", 60)],
)
def test_wbc_units_are_converted(knowledge_base: KnowledgeBase, unit: str, value: float) -> None:
    packet = phenopacket(unit=unit, wbc=value)
    same_patient(knowledge_base, packet, CSV_HEADER + "P1,M,5.5,60000,B,,\n")


@pytest.mark.parametrize(
    ("disease", "cell"),
    [("NCIT:C8936", "B"), ("NCIT:C8644", "B"), ("NCIT:C3183", "T"), ("NCIT:C3167", "")],
)
def test_all_disease_term_gives_the_lineage(
    knowledge_base: KnowledgeBase, disease: str, cell: str
) -> None:
    same_patient(
        knowledge_base, phenopacket(disease=disease), CSV_HEADER + f"P1,M,5.5,12000,{cell},,\n"
    )


@pytest.mark.parametrize(("duration", "years"), [("P5Y6M", 5.5), ("P18M", 1.5), ("P10Y", 10.0)])
def test_onset_age_is_the_age_at_diagnosis(duration: str, years: float) -> None:
    assert duration_years(duration) == pytest.approx(years)


def test_down_syndrome_present_and_excluded(knowledge_base: KnowledgeBase) -> None:
    for present, cell in ((True, "true"), (False, "false")):
        packet = phenopacket(down_syndrome=present)
        same_patient(knowledge_base, packet, CSV_HEADER + f"P1,M,5.5,12000,B,{cell},\n")


def test_rejected_lesion_is_tested_and_absent(knowledge_base: KnowledgeBase) -> None:
    packet = phenopacket(findings=(finding("BCR-ABL1", "REJECTED"), finding("ETV6-RUNX1")))
    same_patient(knowledge_base, packet, CSV_HEADER + "P1,M,5.5,12000,B,,ETV6-RUNX1\n")


def test_iscn_expression_reads_like_the_lesions_column(knowledge_base: KnowledgeBase) -> None:
    packet = phenopacket(findings=(finding("", iscn="t(9;22)(q34;q11)"),))
    same_patient(knowledge_base, packet, CSV_HEADER + "P1,M,5.5,12000,B,,t(9;22)(q34;q11)\n")


@pytest.mark.parametrize("progress", ["IN_PROGRESS", "UNKNOWN_PROGRESS", None])
def test_genetics_pending_leaves_lesions_unknown(
    knowledge_base: KnowledgeBase, progress: str | None
) -> None:
    packet = phenopacket(progress=progress)
    same_patient(knowledge_base, packet, PENDING_HEADER + "P1,M,5.5,12000,B,,,all\n")
    read = records(knowledge_base, json.dumps(as_json(packet)[0]), PHENOPACKET)[0]
    assert read.pending == {str(PEDALL.GeneticLesion)}  # as lesions_pending = all
    result = classify_input(knowledge_base, json.dumps(as_json(packet)[0]).encode(), PHENOPACKET)
    assert "lesions_pending" in result.results[0].outcome.missing


def test_array_and_json_lines(knowledge_base: KnowledgeBase) -> None:
    packets = as_json(phenopacket("P1"), phenopacket("P2", disease="NCIT:C3183"))
    as_array = records(knowledge_base, json.dumps(packets), "application/json")
    as_lines = records(knowledge_base, "\n".join(json.dumps(p) for p in packets), PHENOPACKET)
    assert [r.patient_id for r in as_array] == [r.patient_id for r in as_lines] == ["P1", "P2"]
    assert [r.line for r in as_lines] == [1, 2]
    assert reader_for_path("cohort.jsonl").name == "phenopacket"


BROKEN = [
    (
        {"disease": "NCIT:C8936", "age": "five years"},
        "phenopackets[1].diseases[0].onset.age.iso8601duration",
        "ISO 8601",
    ),
    (
        {"unit": "UCUM:mg/dL"},
        "phenopackets[1].measurements[0].value.quantity.unit.id",
        "UO:0000316",
    ),
    (
        {"findings": (finding("NOT-A-LESION"),)},
        "phenopackets[1].interpretations[0].diagnosis.genomicInterpretations[0]"
        ".variantInterpretation.variationDescriptor.label",
        "unknown lesion",
    ),
]


@pytest.mark.parametrize(("change", "path", "says"), BROKEN)
def test_broken_phenopacket_is_located_and_the_others_classified(
    knowledge_base: KnowledgeBase, change: dict[str, Any], path: str, says: str
) -> None:
    packets = as_json(phenopacket("P1"), phenopacket("P2", **change), phenopacket("P3"))
    outcome = classify_input(knowledge_base, json.dumps(packets).encode(), "application/json")
    assert [r.patient_id for r in outcome.results] == ["P1", "P3"]
    [issue] = outcome.issues
    assert (issue.column, issue.patient_id, issue.line) == (path, "P2", None)
    assert says in issue.message


def test_second_all_diagnosis_and_unknown_field_are_located(knowledge_base: KnowledgeBase) -> None:
    second = phenopacket("P2")
    second.diseases.append(pp.Disease(term=term("NCIT:C3183")))
    unknown = as_json(phenopacket("P3"))[0] | {"karyotypeText": "46,XY"}
    body = json.dumps([*as_json(phenopacket("P1"), second), unknown])
    outcome = classify_input(knowledge_base, body.encode(), "application/json")
    assert [r.patient_id for r in outcome.results] == ["P1"]
    located = {(i.patient_id, i.column) for i in outcome.issues}
    assert ("P2", "phenopackets[1].diseases[1].term.id") in located
    assert ("P3", "phenopackets[2]") in located
    assert any("karyotypeText" in i.message for i in outcome.issues)


def test_json_ld_is_still_json_ld(knowledge_base: KnowledgeBase) -> None:
    body = json.dumps({"@context": {"x": "https://example.org/"}, "@graph": []})
    read = read_input(knowledge_base, body.encode(), "application/json", "in")
    assert read.records == []


@pytest.mark.slow
def test_reference_engine_classifies_the_phenopacket_as_the_row(
    knowledge_base: KnowledgeBase,
) -> None:
    """pyshacl classifies the phenopacket as the fast engine classifies its row (the CNS
    status is given to keep the completions of the missing fields to 576 rather than 1,728,
    at about 25 ms each)."""
    packet = phenopacket(age="P12Y", findings=(finding("ETV6-RUNX1"),), down_syndrome=False)
    packet.phenotypic_features.append(pp.PhenotypicFeature(type=term("NCIT:C116833")))
    body = json.dumps(as_json(packet)).encode()
    header = CSV_HEADER.replace("down_syndrome,", "down_syndrome,cns_status,")
    csv = (header + "P1,M,12,12000,B,false,CNS1,ETV6-RUNX1\n").encode()
    from_packet = classify_input(knowledge_base, body, "application/json", engine="reference")
    from_row = classify_input(knowledge_base, csv, "text/csv")
    assert [r.outcome for r in from_packet.results] == [r.outcome for r in from_row.results]
    assert from_packet.results


@pytest.mark.parametrize(("code", "cell"), [("NCIT:C116833", "CNS1"), ("NCIT:C116835", "CNS3")])
def test_cns_status_is_a_phenotypic_feature(
    knowledge_base: KnowledgeBase, code: str, cell: str
) -> None:
    packet = phenopacket()
    packet.phenotypic_features.append(pp.PhenotypicFeature(type=term(code)))
    header = CSV_HEADER.replace("down_syndrome,", "down_syndrome,cns_status,")
    same_patient(knowledge_base, packet, header + f"P1,M,5.5,12000,B,,{cell},\n")


@pytest.mark.slow  # the app and its workers
def test_validate_and_the_http_endpoints_take_phenopackets(knowledge_base: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from pedall.api import validate_input
    from pedall.service.app import create_app
    from pedall.service.settings import ServiceSettings

    body = json.dumps(as_json(phenopacket("P1"), phenopacket("P2", unit="UCUM:mg/dL"))).encode()
    outcome = validate_input(knowledge_base, body, "application/json", source="in")
    assert [i.column for i in outcome.issues if i.is_error] == [
        "phenopackets[1].measurements[0].value.quantity.unit.id"
    ]
    app = create_app(ServiceSettings(workers=1))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for media_type in ("application/json", PHENOPACKET):
            answer = client.post("/classify", content=body, headers={"Content-Type": media_type})
            assert answer.status_code == 422
            assert [r["patient_id"] for r in answer.json()["results"]] == ["P1"]
        checked = client.post("/validate", content=body, headers={"Content-Type": PHENOPACKET})
        assert checked.status_code == 422


def test_duplicate_subject_id_is_located(knowledge_base: KnowledgeBase) -> None:
    body = json.dumps(as_json(phenopacket("P1"), phenopacket("P1"))).encode()
    outcome = classify_input(knowledge_base, body, "application/json")
    assert [r.patient_id for r in outcome.results] == ["P1"]
    [issue] = outcome.issues
    assert issue.column == "phenopackets[1].subject.id"
    assert "duplicate" in issue.message
