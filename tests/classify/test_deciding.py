"""``deciding``: for each missing column of a provisional result, the ranges its answer may
fall in (cut by the shapes' own thresholds) or its codes, and the groups possible under
each; ordered so that the column that narrows most comes first. Both engines."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.api import classify_input
from pedall.knowledge.base import KnowledgeBase

ROWS = {
    "mrd": {"lesions": "ETV6::RUNX1", "mrd_eoi_percent": ""},
    "t-prephase": {"immunophenotype": "T", "prephase_blasts_per_ul": ""},
    "cns-and-pending": {"cns_status": "", "lesions_pending": "BCR::ABL1"},
    "remission-and-mrd": {
        "cr_after_induction": "",
        "mrd_eoi_percent": "",
        "lesions": "ETV6::RUNX1",
    },
    "certain": {},
}


def table() -> bytes:
    out = io.StringIO()
    columns = ["patient_id", *COMPLETE_PATIENT, "lesions_pending"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for name, row in ROWS.items():
        writer.writerow({"patient_id": name, **COMPLETE_PATIENT, **row})
    return out.getvalue().encode()


@pytest.fixture(scope="module", params=["fast", "reference"])
def results(
    knowledge_base: KnowledgeBase, request: pytest.FixtureRequest
) -> dict[str, dict[str, Any]]:
    outcome = classify_input(knowledge_base, table(), "text/csv", engine=request.param)
    assert outcome.errors == []
    return {r.patient_id: r.as_dict() for r in outcome.results}


def test_one_missing_number_is_cut_at_the_shapes_threshold(
    results: dict[str, dict[str, Any]],
) -> None:
    # The contract's own example, to the letter.
    assert results["mrd"]["deciding"] == [
        {
            "column": "mrd_eoi_percent",
            "outcomes": [
                {
                    "when": "at most 0.01 %",
                    "bounds": {"max": 0.01, "max_inclusive": True},
                    "possible_groups": ["low"],
                },
                {
                    "when": "above 0.01 %",
                    "bounds": {"min": 0.01, "min_inclusive": False},
                    "possible_groups": ["high"],
                },
            ],
        }
    ]


def test_the_prephase_threshold_is_inclusive_from_above(
    results: dict[str, dict[str, Any]],
) -> None:
    (deciding,) = results["t-prephase"]["deciding"]
    assert [(o["bounds"], o["possible_groups"]) for o in deciding["outcomes"]] == [
        ({"max": 1000.0, "max_inclusive": False}, ["high"]),
        ({"min": 1000.0, "min_inclusive": True}, ["very-high"]),
    ]


def test_coded_fields_and_pending_lesions_give_codes_and_order(
    results: dict[str, dict[str, Any]],
) -> None:
    pending, cns = results["cns-and-pending"]["deciding"]
    # The pending lesion narrows most (its answers leave one or two groups; CNS two each).
    assert pending["column"] == "lesions_pending"
    assert [(o["codes"], o["possible_groups"]) for o in pending["outcomes"]] == [
        ([], ["standard", "high"]),
        (["BCR::ABL1"], ["very-high"]),
    ]
    assert cns["column"] == "cns_status"
    assert [(o["codes"], o["possible_groups"]) for o in cns["outcomes"]] == [
        (["CNS1", "CNS2"], ["standard", "very-high"]),
        (["CNS3"], ["high", "very-high"]),
    ]
    assert "bounds" not in cns["outcomes"][0]


def test_several_missing_fields_each_with_the_others_open(
    results: dict[str, dict[str, Any]],
) -> None:
    result = results["remission-and-mrd"]
    deciding = {d["column"]: d for d in result["deciding"]}
    assert set(deciding) == set(result["missing"])
    remission = {
        tuple(o["codes"]): o["possible_groups"] for o in deciding["cr_after_induction"]["outcomes"]
    }
    # No remission is very high whatever MRD is; with remission, MRD still decides.
    assert remission == {("false",): ["very-high"], ("true",): ["low", "high"]}
    # The column whose answers leave fewer groups comes first.
    assert [d["column"] for d in result["deciding"]] == ["cr_after_induction", "mrd_eoi_percent"]


def test_a_certain_result_has_nothing_to_decide(results: dict[str, dict[str, Any]]) -> None:
    assert results["certain"]["provisional"] is False
    assert results["certain"]["deciding"] == []
