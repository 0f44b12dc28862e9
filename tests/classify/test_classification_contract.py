"""The risk classification contract, end to end from the CSV table: every criterion at its
boundaries, every lesion code and synonym of the ontology, and the missing-data contract
(possible groups, provisional, missing), for CMCP-ALL2008 and NCI/Rome."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from rdflib import RDFS, SKOS, URIRef

from patient_rows import COMPLETE_PATIENT
from pedall.api import ClassifyOutcome, classify_input, read_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.toolkit import toolkit

GROUP_ORDER = ["low", "standard", "high", "very-high"]


def patient_table(rows: Sequence[Mapping[str, str]]) -> bytes:
    columns: dict[str, None] = {"patient_id": None}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def classify_rows(
    kb: KnowledgeBase, rows: Sequence[Mapping[str, str]], engine: str = "fast"
) -> dict[str, dict[str, object]]:
    outcome = classify_input(kb, patient_table(rows), "text/csv", engine=engine)
    assert outcome.errors == [], outcome.errors
    return {str(r["patient_id"]): r for r in outcome.as_json()["results"]}  # type: ignore[attr-defined]


def criterion_ids(result: Mapping[str, object]) -> set[str]:
    criteria = result["criteria"]
    assert isinstance(criteria, list)
    return {c["id"] for c in criteria}


# (case, changes to the standard patient, CMCP-ALL2008 group, criterion that must be
# reported (or None), NCI/Rome group)
BOUNDARY_CASES = [
    ("age 0.99", {"age_years": "0.99"}, "very-high", "CMCP-ALL2008-very-high-infant", "high"),
    ("age 1", {"age_years": "1"}, "standard", "CMCP-ALL2008-standard-age", "standard"),
    ("age 9.99", {"age_years": "9.99"}, "standard", "CMCP-ALL2008-standard-age", "standard"),
    ("age 10", {"age_years": "10"}, "high", "CMCP-ALL2008-high-age", "high"),
    ("age 14.99", {"age_years": "14.99"}, "high", "CMCP-ALL2008-high-age", "high"),
    ("age 15", {"age_years": "15"}, "very-high", "CMCP-ALL2008-very-high-age", "high"),
    ("wbc 49999", {"wbc_per_ul": "49999"}, "standard", "CMCP-ALL2008-standard-wbc", "standard"),
    ("wbc 50000", {"wbc_per_ul": "50000"}, "high", "CMCP-ALL2008-high-wbc", "high"),
    ("wbc 99999", {"wbc_per_ul": "99999"}, "high", "CMCP-ALL2008-high-wbc", "high"),
    ("wbc 100000", {"wbc_per_ul": "100000"}, "very-high", "CMCP-ALL2008-very-high-wbc", "high"),
    ("B blasts 999", {"prephase_blasts_per_ul": "999"}, "standard", None, "standard"),
    (
        "B blasts 1000",
        {"prephase_blasts_per_ul": "1000"},
        "high",
        "CMCP-ALL2008-high-b-poor-prephase",
        "standard",
    ),
    (
        "T blasts 999",
        {"immunophenotype": "T", "prephase_blasts_per_ul": "999"},
        "high",
        "CMCP-ALL2008-high-t-good-prephase",
        "not-applicable",
    ),
    (
        "T blasts 1000",
        {"immunophenotype": "T", "prephase_blasts_per_ul": "1000"},
        "very-high",
        "CMCP-ALL2008-very-high-t-poor-prephase",
        "not-applicable",
    ),
    ("mrd 0.01", {"mrd_eoi_percent": "0.01"}, "standard", None, "standard"),
    ("mrd 0.011", {"mrd_eoi_percent": "0.011"}, "high", "CMCP-ALL2008-high-mrd", "standard"),
    (
        "44 chromosomes",
        {"chromosome_count": "44"},
        "very-high",
        "CMCP-ALL2008-very-high-hypodiploidy",
        "standard",
    ),
    ("45 chromosomes", {"chromosome_count": "45"}, "standard", None, "standard"),
    ("CNS3", {"cns_status": "CNS3"}, "high", "CMCP-ALL2008-high-cns-testis", "standard"),
    ("CNS2", {"cns_status": "CNS2"}, "standard", None, "standard"),
    (
        "testicular",
        {"testicular_involvement": "true"},
        "high",
        "CMCP-ALL2008-high-cns-testis",
        "standard",
    ),
    (
        "no remission",
        {"cr_after_induction": "false"},
        "very-high",
        "CMCP-ALL2008-very-high-no-cr",
        "standard",
    ),
    ("T-ALL age 5", {"immunophenotype": "T"}, "high", None, "not-applicable"),
    ("T-ALL age 12", {"immunophenotype": "T", "age_years": "12"}, "high", None, "not-applicable"),
    ("lineage unknown", {"immunophenotype": ""}, "standard", None, None),
    ("lineage unknown, age 12", {"immunophenotype": "", "age_years": "12"}, "high", None, None),
    (
        "lineage unknown, wbc 60000",
        {"immunophenotype": "", "wbc_per_ul": "60000"},
        "high",
        None,
        None,
    ),
]


@pytest.fixture(scope="module")
def boundary_results(knowledge_base: KnowledgeBase) -> dict[str, dict[str, object]]:
    """All boundary cases classified in one batch."""
    rows = [
        {**COMPLETE_PATIENT, **changes, "patient_id": case} for case, changes, *_ in BOUNDARY_CASES
    ]
    return classify_rows(knowledge_base, rows)


@pytest.mark.parametrize(
    ("case", "group", "criterion", "nci_rome"),
    [(case, group, criterion, nci) for case, _, group, criterion, nci in BOUNDARY_CASES],
    ids=[case for case, *_ in BOUNDARY_CASES],
)
def test_criteria_at_their_boundaries(
    boundary_results: dict[str, dict[str, object]],
    case: str,
    group: str,
    criterion: str | None,
    nci_rome: str | None,
) -> None:
    result = boundary_results[case]
    assert result["risk_group"] == group
    assert result["nci_rome"] == nci_rome
    if criterion is not None:
        assert criterion in criterion_ids(result)
    if group == "standard" and nci_rome is not None:
        # Every field is known: nothing can be provisional.
        assert result["possible_groups"] == ["standard"]
        assert result["missing"] == []


def test_the_lineage_unknown_patient_is_provisional_only_where_lineage_matters(
    boundary_results: dict[str, dict[str, object]],
) -> None:
    # B-lineage and T-lineage completions reach different CMCP groups for this profile.
    result = boundary_results["lineage unknown"]
    assert result["possible_groups"] == ["standard", "high"]
    assert result["missing"] == ["immunophenotype"]


def ontology_lesion_names(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(lesion class IRI, label or synonym) for every lesion class of the ontology."""
    names = []
    for iri in toolkit(kb).model.lesions.display:
        node = URIRef(iri)
        for predicate in (RDFS.label, SKOS.altLabel):
            names += [(iri, str(name)) for name in kb.graph.objects(node, predicate)]
    return sorted(names)


def test_every_lesion_label_and_synonym_of_the_ontology_resolves(
    knowledge_base: KnowledgeBase,
) -> None:
    names = ontology_lesion_names(knowledge_base)
    assert len(names) > 50
    assert (str(PEDALL["KMT2A-AFF1"]), "MLL-AF4") in names
    rows = [{"patient_id": f"L{i}", "lesions": name} for i, (_, name) in enumerate(names)]
    read = read_input(knowledge_base, patient_table(rows), "text/csv", "lesions.csv")
    assert [i for i in read.issues if i.is_error] == []  # bare gene symbols are warnings
    resolved = {record.patient_id: record.lesions for record in read.records}
    wrong = [
        (iri, name, resolved[f"L{i}"])
        for i, (iri, name) in enumerate(names)
        if resolved[f"L{i}"] != (iri,)
    ]
    assert wrong == [], "labels or synonyms that name another lesion class (ambiguous)"


LESION_CASES = [
    # (lesions cell, changes, group, criterion)
    ("BCR-ABL1", {}, "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ("Ph+", {}, "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ("t(9;22)", {}, "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ("MLL", {}, "high", "CMCP-ALL2008-high-kmt2a"),
    ("KMT2A-AFF1", {}, "high", "CMCP-ALL2008-high-kmt2a"),
    ("t(4;11)", {}, "high", "CMCP-ALL2008-high-kmt2a"),
    ("MLL-AF4", {}, "high", "CMCP-ALL2008-high-kmt2a"),
    ("E2A-PBX1", {}, "high", "CMCP-ALL2008-high-tcf3-pbx1"),
    ("t(1;19)", {}, "high", "CMCP-ALL2008-high-tcf3-pbx1"),
    ("ETV6-RUNX1", {}, "low", "CMCP-ALL2008-low-genetics"),
    ("TEL-AML1", {}, "low", "CMCP-ALL2008-low-genetics"),
    ("t(12;21)", {}, "low", "CMCP-ALL2008-low-genetics"),
    ("trisomy 4;trisomy 10;trisomy 17", {}, "low", "CMCP-ALL2008-low-genetics"),
    ("trisomy 4;trisomy 10", {}, "standard", "CMCP-ALL2008-standard-genetics"),
    ("trisomy 10;trisomy 17", {}, "standard", "CMCP-ALL2008-standard-genetics"),
    ("ETV6-RUNX1", {"age_years": "10"}, "high", "CMCP-ALL2008-high-age"),
    ("ETV6-RUNX1", {"age_years": "0.99"}, "very-high", "CMCP-ALL2008-very-high-infant"),
    ("ETV6-RUNX1", {"wbc_per_ul": "50000"}, "high", "CMCP-ALL2008-high-wbc"),
    ("ETV6-RUNX1", {"wbc_per_ul": "49999", "age_years": "9.99"}, "low", None),
    # A ploidy word bounds the chromosome count (given here as unknown): low hypodiploidy
    # (32-39) and near haploidy (24-31) are always under 45; hypodiploid alone is not.
    (
        "hypodiploidy",
        {"chromosome_count": "44"},
        "very-high",
        "CMCP-ALL2008-very-high-hypodiploidy",
    ),
    (
        "hypodiploidy <45",
        {"chromosome_count": ""},
        "very-high",
        "CMCP-ALL2008-very-high-hypodiploidy",
    ),
    ("near haploidy", {"chromosome_count": ""}, "very-high", "CMCP-ALL2008-very-high-hypodiploidy"),
    (
        "low hypodiploidy",
        {"chromosome_count": ""},
        "very-high",
        "CMCP-ALL2008-very-high-hypodiploidy",
    ),
    (
        "low hypodiploidy",
        {"chromosome_count": "35"},
        "very-high",
        "CMCP-ALL2008-very-high-hypodiploidy",
    ),
    ("hypodiploid", {"chromosome_count": "45"}, "standard", None),
    ("high hyperdiploid", {"chromosome_count": "67"}, "standard", None),
    ("ETV6-RUNX1;Ph+", {}, "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
]


@pytest.fixture(scope="module")
def lesion_results(knowledge_base: KnowledgeBase) -> dict[str, dict[str, object]]:
    rows = [
        {**COMPLETE_PATIENT, **changes, "lesions": lesions, "patient_id": f"case{i}"}
        for i, (lesions, changes, _, _) in enumerate(LESION_CASES)
    ]
    return classify_rows(knowledge_base, rows)


@pytest.mark.parametrize(
    ("index", "group", "criterion"),
    [(i, group, criterion) for i, (_, _, group, criterion) in enumerate(LESION_CASES)],
    ids=[f"{lesions} {changes}" for lesions, changes, _, _ in LESION_CASES],
)
def test_lesion_criteria(
    lesion_results: dict[str, dict[str, object]],
    index: int,
    group: str,
    criterion: str | None,
) -> None:
    result = lesion_results[f"case{index}"]
    assert result["risk_group"] == group
    assert result["provisional"] is False
    if criterion is not None:
        assert criterion in criterion_ids(result)


def test_a_specific_kmt2a_fusion_is_a_rearrangement_by_inference(
    knowledge_base: KnowledgeBase,
) -> None:
    # The ontology says KMT2A-AFF1 is a subclass of KMT2A-rearrangement; the high-risk
    # shape asks for the superclass, so only inference connects them.
    assert (
        PEDALL["KMT2A-AFF1"],
        RDFS.subClassOf,
        PEDALL["KMT2A-rearrangement"],
    ) in knowledge_base.inferred
    closure = toolkit(knowledge_base).model.lesions.closure((str(PEDALL["KMT2A-AFF1"]),))
    assert str(PEDALL["KMT2A-rearrangement"]) in closure


# --- the missing-data contract ------------------------------------------------------


def test_t_all_with_unknown_prephase_response_is_high_and_provisional(
    knowledge_base: KnowledgeBase,
) -> None:
    row = {**COMPLETE_PATIENT, "immunophenotype": "T", "prephase_blasts_per_ul": ""}
    result = classify_rows(knowledge_base, [{**row, "patient_id": "T1"}])["T1"]
    assert result["risk_group"] == "high"
    assert result["provisional"] is True
    assert result["possible_groups"] == ["high", "very-high"]
    assert result["missing"] == ["prephase_blasts_per_ul"]
    assert result["nci_rome"] == "not-applicable"


def test_unknown_mrd_leaves_standard_or_high(knowledge_base: KnowledgeBase) -> None:
    row = {**COMPLETE_PATIENT, "mrd_eoi_percent": "", "patient_id": "B1"}
    result = classify_rows(knowledge_base, [row])["B1"]
    assert result["possible_groups"] == ["standard", "high"]
    assert result["risk_group"] == "standard"
    assert result["provisional"] is True
    assert result["missing"] == ["mrd_eoi_percent"]


@pytest.mark.parametrize(
    "known",
    [
        {"age_years": "15"},
        {"lesions": "BCR-ABL1"},
        {"cr_after_induction": "false"},
        {"wbc_per_ul": "100000"},
        {"chromosome_count": "30"},
    ],
    ids=lambda known: next(iter(known)),
)
def test_a_very_high_criterion_makes_missing_fields_irrelevant(
    knowledge_base: KnowledgeBase, known: dict[str, str]
) -> None:
    result = classify_rows(knowledge_base, [{"patient_id": "V", **known}])["V"]
    assert result["risk_group"] == "very-high"
    assert result["possible_groups"] == ["very-high"]
    assert result["provisional"] is False
    assert result["missing"] == []


@pytest.mark.parametrize(
    ("known", "possible"),
    [
        # An empty lesions cell means none detected, so the low-risk genotype is absent.
        ({}, ["standard", "high", "very-high"]),
        ({"age_years": "5"}, ["standard", "high", "very-high"]),
        ({"age_years": "12"}, ["high", "very-high"]),
        ({"age_years": "5", "lesions": "MLL"}, ["high", "very-high"]),
        (
            # Known favourable genotype: the standard profile is out, the groups skip it.
            {"age_years": "5", "wbc_per_ul": "10000", "lesions": "TEL-AML1"},
            ["low", "high", "very-high"],
        ),
    ],
)
def test_possible_groups_are_ordered_and_risk_group_is_the_lowest(
    knowledge_base: KnowledgeBase, known: dict[str, str], possible: list[str]
) -> None:
    row = {"patient_id": "X", "lesions": "", **known}  # a lesions column: none detected
    result = classify_rows(knowledge_base, [row])["X"]
    assert result["possible_groups"] == possible
    assert result["risk_group"] == possible[0]
    assert result["provisional"] is (len(possible) > 1)
    missing = result["missing"]
    assert isinstance(missing, list) and missing
    assert set(missing) <= set(toolkit(knowledge_base).model.columns)


def test_extra_columns_are_passed_through(knowledge_base: KnowledgeBase) -> None:
    row = {"patient_id": "E1", "age_years": "16", "site": "Seoul", "study arm": "B"}
    result = classify_rows(knowledge_base, [row])["E1"]
    assert (result["site"], result["study arm"]) == ("Seoul", "B")


def test_the_json_contract_keys(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(knowledge_base, b"patient_id,age_years\nP1,16\nP2,x\n", "text/csv")
    document: dict[str, Any] = outcome.as_json()
    assert set(document) == {"results", "errors", "warnings"}
    (result,) = document["results"]
    assert {
        "patient_id",
        "risk_group",
        "possible_groups",
        "provisional",
        "missing",
        "criteria",
        "nci_rome",
    } <= set(result)
    (criterion,) = result["criteria"]
    assert {"id", "label", "group", "sources"} <= set(criterion)
    assert criterion["sources"] == ["https://doi.org/10.3345/kjp.2017.60.5.129"]
    (error,) = document["errors"]
    assert {"line", "column", "value", "message"} <= set(error)
    assert (error["line"], error["column"], error["value"]) == (3, "age_years", "x")


# --- bad input ----------------------------------------------------------------------

BAD_ROWS = [
    ("non-numeric age", "BAD,seven,10000,B,", "age_years", "seven", "a number"),
    ("negative WBC", "BAD,5,-1,B,", "wbc_per_ul", "-1", "must not be negative"),
    ("implausible age", "BAD,31,10000,B,", "age_years", "31", "under 30"),
    ("unknown lesion", "BAD,5,10000,B,ETV6-RUNX", "lesions", "ETV6-RUNX", "ETV6-RUNX1"),
    ("empty id", ",5,10000,B,", "patient_id", "", "empty"),
    ("duplicate id", "GOOD1,5,10000,B,", "patient_id", "GOOD1", "duplicate"),
]


@pytest.mark.parametrize(
    ("bad_row", "column", "value", "hint"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
def test_bad_rows_are_located_and_valid_rows_still_classified(
    knowledge_base: KnowledgeBase, bad_row: str, column: str, value: str, hint: str
) -> None:
    text = (
        "patient_id,age_years,wbc_per_ul,immunophenotype,lesions\n"
        "GOOD1,16,10000,B,\n"
        f"{bad_row}\n"
        "GOOD2,12,10000,B,MLL\n"
    )
    outcome: ClassifyOutcome = classify_input(knowledge_base, text.encode(), "text/csv")
    (error,) = outcome.errors
    assert (error.line, error.column, error.value) == (3, column, value)
    assert hint in error.message
    assert {(r.patient_id, r.outcome.risk_group) for r in outcome.results} == {
        ("GOOD1", "very-high"),
        ("GOOD2", "high"),
    }
