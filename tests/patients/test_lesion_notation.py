"""Lesion codes as current reports write them: HGNC ``::`` fusion names, spelling
variants, trisomy forms, ISCN rearrangements at any band precision and derivatives."""

from __future__ import annotations

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.lesion_notation import NotationIndex, Rearrangement
from pedall.patients.readers.csv_table import read_csv
from pedall.toolkit import Toolkit, toolkit


@pytest.fixture(scope="module")
def tools(knowledge_base: KnowledgeBase) -> Toolkit:
    return toolkit(knowledge_base)


FUSIONS = {
    "BCR::ABL1": "BCR-ABL1",
    "ETV6::RUNX1": "ETV6-RUNX1",
    "KMT2A::AFF1": "KMT2A-AFF1",
    "KMT2A::MLLT1": "KMT2A-MLLT1",
    "KMT2A::MLLT3": "KMT2A-MLLT3",
    "KMT2A::MLLT10": "KMT2A-MLLT10",
    "TCF3::PBX1": "TCF3-PBX1",
    "TCF3::HLF": "TCF3-HLF",
}


@pytest.mark.parametrize(("name", "local"), FUSIONS.items())
def test_hgnc_fusion_names_are_the_preferred_labels(tools: Toolkit, name: str, local: str) -> None:
    lesions = tools.model.lesions
    assert lesions.display[str(PEDALL[local])] == name
    assert lesions.resolve(name) == str(PEDALL[local])
    assert lesions.resolve(local) == str(PEDALL[local])  # the review's spelling stays


@pytest.mark.parametrize(
    ("code", "local"),
    [
        ("TEL-AML1", "ETV6-RUNX1"),
        ("E2A-PBX1", "TCF3-PBX1"),
        ("MLL-AF4", "KMT2A-AFF1"),
        ("bcr abl1", "BCR-ABL1"),
        ("BCR/ABL1", "BCR-ABL1"),
        ("etv6::runx1", "ETV6-RUNX1"),
        ("+4", "Trisomy4"),
        ("trisomy 4", "Trisomy4"),
        ("Trisomy-4", "Trisomy4"),
        ("trisomy4", "Trisomy4"),
        ("TRISOMY 10", "Trisomy10"),
        ("+ 17", "Trisomy17"),
        ("t(9;22)", "BCR-ABL1"),
        ("t(9;22)(q34;q11)", "BCR-ABL1"),
        ("t(9;22)(q34.1;q11.2)", "BCR-ABL1"),
        ("t(9;22)(q34.12;q11.23)", "BCR-ABL1"),
        ("t(12;21)(p13.2;q22.1)", "ETV6-RUNX1"),
        ("t(4;11)(q21.3;q23.3)", "KMT2A-AFF1"),
        ("t(1;19)(q23;p13)", "TCF3-PBX1"),
        ("der(19)t(1;19)(q23;p13)", "TCF3-PBX1"),
        ("der(19)t(1;19)", "TCF3-PBX1"),
        ("der(22)t(9;22)(q34;q11)", "BCR-ABL1"),
        ("t(17;19)(q22;p13.3)", "TCF3-HLF"),
    ],
)
def test_codes_are_read_as_reports_write_them(tools: Toolkit, code: str, local: str) -> None:
    assert tools.model.lesions.resolve(code) == str(PEDALL[local])


@pytest.mark.parametrize(
    "code",
    ["t(9;22)(q34;q21)", "t(9;22)(p34;q11)", "der(9)t(9;22)(q34;q11)", "t(9;23)", "BCR::ABL2"],
)
def test_a_rearrangement_the_ontology_does_not_name_stays_unknown(
    tools: Toolkit, code: str
) -> None:
    assert tools.model.lesions.resolve(code) is None
    result = read_csv(f"patient_id,lesions\nP1,{code}\n", tools.model, "t.csv")
    (issue,) = result.issues
    assert issue.column == "lesions" and issue.value == code and issue.line == 2
    assert "unknown lesion code" in issue.message


def test_the_patterns_are_data() -> None:
    index = NotationIndex.build([], [("t(8;14)(q24;q32)", "urn:x:MYC")])
    assert index.resolve("t(8;14)(q24.21;q32.33)") == "urn:x:MYC"
    assert index.resolve("t(9;22)") is None
    assert Rearrangement.parse("t(9;22)(q34)") is None  # one breakpoint for two chromosomes


def test_a_bare_gene_symbol_is_read_with_a_warning(tools: Toolkit) -> None:
    result = read_csv("patient_id,lesions\nP1,MLL;t(9;22)\n", tools.model, "t.csv")
    (record,) = result.records
    assert record.lesions == (str(PEDALL["KMT2A-rearrangement"]), str(PEDALL["BCR-ABL1"]))
    (warning,) = result.issues
    assert (warning.severity, warning.line, warning.column, warning.value) == (
        "warning",
        2,
        "lesions",
        "MLL",
    )
    assert "'KMT2A rearrangement'" in warning.message
    assert read_csv("patient_id,lesions\nP1,KMT2A::AFF1\n", tools.model, "t.csv").issues == []


@pytest.mark.slow  # the reference engine
@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("BCR::ABL1", "very-high"),
        ("t(9;22)(q34.1;q11.2)", "very-high"),
        ("KMT2A::AFF1", "high"),
        ("ETV6::RUNX1", "low"),
        ("der(19)t(1;19)(q23;p13)", "high"),
    ],
)
def test_both_engines_classify_the_new_notation_as_the_old(
    tools: Toolkit, code: str, group: str
) -> None:
    row = {**COMPLETE_PATIENT, "lesions": code}
    text = "patient_id," + ",".join(row) + "\nP1," + ",".join(row.values()) + "\n"
    result = read_csv(text, tools.model, "t.csv")
    (fast,) = tools.fast_engine.classify(result.records)
    (reference,) = tools.reference_engine.classify(result.records)
    assert fast.outcome == reference.outcome
    assert fast.outcome.possible_groups == (group,)
