"""The reference engine (pyshacl + owlrl over every completion): it agrees with the fast
engine on patients that meet every criterion, reads derived findings and inferred lesion
classes, and refuses what it cannot enumerate. One pyshacl run serves the whole module."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from pyshacl import validate
from rdflib import Graph

from patient_rows import COMPLETE_PATIENT
from pedall.classify.reference_engine import (
    CompletionResult,
    ReferenceEngine,
    check_rule_order,
)
from pedall.classify.result import Classification
from pedall.classify.schemes import read_schemes
from pedall.errors import DataFileError, PatientDataError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.readers.csv_table import PatientRecord, read_csv
from pedall.toolkit import toolkit

pytestmark = pytest.mark.slow  # the reference engine: pyshacl and owlrl

HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
    "down_syndrome"
)
# A low-risk B-lineage patient, every field known; each row below changes what it names.
BASE = {**COMPLETE_PATIENT, "lesions": "ETV6-RUNX1"}
PATIENTS = {
    "low-etv6": {},
    "low-trisomies": {"lesions": "trisomy 4;trisomy 10;trisomy 17"},
    "standard": {"lesions": ""},
    "high-age": {"age_years": "12"},
    "high-wbc": {"wbc_per_ul": "60000"},
    "very-high-wbc": {"wbc_per_ul": "150000"},
    "infant": {"age_years": "0.5"},
    "very-high-age": {"age_years": "16"},
    "t-good": {"immunophenotype": "T", "lesions": ""},
    "t-poor": {"immunophenotype": "T", "prephase_blasts_per_ul": "1500", "lesions": ""},
    "b-poor": {"prephase_blasts_per_ul": "1500"},
    "cns3": {"cns_status": "CNS3"},
    "testis": {"testicular_involvement": "true"},
    "mrd": {"mrd_eoi_percent": "0.5"},
    "no-cr": {"cr_after_induction": "false"},
    "hypodiploid-count": {"chromosome_count": "40", "lesions": ""},
    "hypodiploid-lesion": {"chromosome_count": "", "lesions": "hypodiploid"},
    "ph-positive": {"lesions": "Ph+"},
    "e2a-pbx1": {"lesions": "E2A-PBX1"},
    "kmt2a-aff1": {"lesions": "t(4;11)"},
    "t-all-response-unknown": {
        "immunophenotype": "T",
        "prephase_blasts_per_ul": "",
        "lesions": "",
    },
    "mrd-unknown": {"mrd_eoi_percent": ""},
    "wbc-and-cns-unknown": {"wbc_per_ul": "", "cns_status": ""},
}


def table(patients: dict[str, dict[str, str]]) -> str:
    rows = [HEADER]
    for patient_id, changes in patients.items():
        values = {**BASE, **changes}
        rows.append(",".join([patient_id, *(values[c] for c in HEADER.split(",")[1:])]))
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def engine(knowledge_base: KnowledgeBase) -> ReferenceEngine:
    return ReferenceEngine.from_knowledge(knowledge_base, toolkit(knowledge_base).model)


@pytest.fixture(scope="module")
def records(knowledge_base: KnowledgeBase) -> list[PatientRecord]:
    read = read_csv(table(PATIENTS), toolkit(knowledge_base).model)
    assert read.issues == []
    return read.records


@pytest.fixture(scope="module")
def completion_criteria(
    engine: ReferenceEngine, records: list[PatientRecord]
) -> list[list[CompletionResult]]:
    return engine.completion_criteria(records)


@pytest.fixture(scope="module")
def reference(
    engine: ReferenceEngine,
    records: list[PatientRecord],
    completion_criteria: list[list[CompletionResult]],
) -> dict[str, Classification]:
    return {c.patient_id: c for c in engine.summarize(records, completion_criteria)}


def test_the_patients_meet_every_criterion_of_both_schemes(
    knowledge_base: KnowledgeBase, completion_criteria: list[list[CompletionResult]]
) -> None:
    met = {
        c for completions in completion_criteria for _, criteria in completions for c in criteria
    }
    every = {c.iri for s in read_schemes(knowledge_base.graph).values() for c in s.criteria}
    assert every - met == set()


def test_each_record_gets_one_result_per_completion(
    engine: ReferenceEngine,
    records: list[PatientRecord],
    completion_criteria: list[list[CompletionResult]],
) -> None:
    assert [len(c) for c in completion_criteria] == [engine.completion_count(r) for r in records]
    assert engine.completion_count(records[0]) == 1


def test_reference_and_fast_engines_agree(
    knowledge_base: KnowledgeBase,
    records: list[PatientRecord],
    reference: dict[str, Classification],
) -> None:
    fast = toolkit(knowledge_base).fast_engine.classify(records)
    assert [reference[c.patient_id].as_dict() for c in fast] == [c.as_dict() for c in fast]


@pytest.mark.parametrize(
    ("patient_id", "group", "criterion"),
    [
        ("low-etv6", "low", "CMCP-ALL2008-low-genetics"),
        ("standard", "standard", "CMCP-ALL2008-standard-genetics"),
        ("hypodiploid-count", "very-high", "CMCP-ALL2008-very-high-hypodiploidy"),
        ("t-poor", "very-high", "CMCP-ALL2008-very-high-t-poor-prephase"),
        ("b-poor", "high", "CMCP-ALL2008-high-b-poor-prephase"),
        ("kmt2a-aff1", "high", "CMCP-ALL2008-high-kmt2a"),
        ("ph-positive", "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ],
)
def test_derived_findings_and_inferred_lesion_classes_reach_the_criteria(
    reference: dict[str, Classification], patient_id: str, group: str, criterion: str
) -> None:
    # Hypodiploidy and prephase response are derived by the SHACL-AF rules before the
    # criteria rules run; t(4;11) is a KMT2A rearrangement only through the ontology.
    outcome = reference[patient_id].outcome
    assert outcome.possible_groups == (group,)
    assert criterion in {c.id for c in outcome.criteria}


def test_t_all_with_unknown_steroid_response_is_high_and_provisional(
    reference: dict[str, Classification],
) -> None:
    result = reference["t-all-response-unknown"].as_dict()
    assert result["risk_group"] == "high"
    assert result["provisional"] is True
    assert result["possible_groups"] == ["high", "very-high"]
    assert "prephase_blasts_per_ul" in result["missing"]  # type: ignore[operator]
    assert result["nci_rome"] == "not-applicable"


def test_missing_lists_only_the_columns_that_change_the_groups(
    reference: dict[str, Classification],
) -> None:
    # Unknown WBC matters (under 50,000 keeps low); unknown CNS status does too (CNS3).
    assert reference["wbc-and-cns-unknown"].outcome.missing == ("wbc_per_ul", "cns_status")
    assert reference["mrd-unknown"].outcome.possible_groups == ("low", "high")
    assert reference["mrd-unknown"].outcome.missing == ("mrd_eoi_percent",)
    # 'hypodiploid' bounds the count below 46; only a count under 45 is Table 1's criterion.
    assert reference["hypodiploid-lesion"].outcome.missing == ("chromosome_count",)


def test_a_record_over_the_cap_is_refused_before_any_run(
    engine: ReferenceEngine, records: list[PatientRecord]
) -> None:
    small = dataclasses.replace(engine, cap=10)
    with pytest.raises(PatientDataError) as raised:
        small.classify(records)
    refused = {issue.patient_id for issue in raised.value.issues}
    assert refused == {"hypodiploid-lesion", "wbc-and-cns-unknown"}
    assert "fast engine" in raised.value.issues[0].message
    assert raised.value.issues[0].line is not None


def test_shipped_rule_shapes_are_ordered_for_pyshacl_and_valid_shacl(
    knowledge_base: KnowledgeBase,
) -> None:
    graph = Graph()
    for path in knowledge_base.files.shape_group("classification"):
        graph.parse(path)
    check_rule_order(graph)
    conforms, _, text = validate(Graph(), shacl_graph=graph, advanced=True, meta_shacl=True)
    assert conforms, text


RULE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:Findings sh:rule [ a sh:TripleRule ; sh:order 0 ] {findings} .
ex:Criteria sh:rule [ a sh:TripleRule ; sh:order 10 ] {criteria} .
"""


@pytest.mark.parametrize(
    ("findings", "criteria", "ordered"),
    [
        ("; sh:order 0", "; sh:order 10", True),
        ("; sh:order 20", "; sh:order 10", False),  # criteria would run before findings
        ("", "", False),  # equal shape order: pyshacl may run either first
    ],
)
def test_rule_order_check(
    make_graph: Callable[[str], Graph], findings: str, criteria: str, ordered: bool
) -> None:
    graph = make_graph(RULE_SHAPES.format(findings=findings, criteria=criteria))
    if ordered:
        check_rule_order(graph)
    else:
        with pytest.raises(DataFileError, match="sh:order"):
            check_rule_order(graph)
