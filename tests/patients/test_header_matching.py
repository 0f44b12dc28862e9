"""Header names as people write them, and a table without a lesions column."""

from __future__ import annotations

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.errors import InputFormatError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import read_csv
from pedall.toolkit import Toolkit, toolkit


@pytest.fixture(scope="module")
def tools(knowledge_base: KnowledgeBase) -> Toolkit:
    return toolkit(knowledge_base)


@pytest.fixture(scope="module")
def model(tools: Toolkit) -> PatientModel:
    return tools.model


def table(row: dict[str, str], header: dict[str, str] | None = None) -> str:
    """A one-patient table; ``header`` renames columns as written."""
    names = {c: (header or {}).get(c, c) for c in row}
    return "patient_id," + ",".join(names.values()) + "\nP1," + ",".join(row.values()) + "\n"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Lesions", "lesions"),
        ("Age_Years", "age_years"),
        ("wbc_per_uL", "wbc_per_ul"),
        ("age-years", "age_years"),
        ("Age Years", "age_years"),
        ("PATIENT.ID", "patient_id"),
    ],
)
def test_header_names_match_whatever_the_case_and_separators(
    model: PatientModel, written: str, canonical: str
) -> None:
    row = {**COMPLETE_PATIENT, "lesions": "ETV6-RUNX1"}
    text = table(row, {canonical: written})
    if canonical == "patient_id":
        text = text.replace("patient_id", written, 1)
    result = read_csv(text, model, "t.csv")
    (record,) = result.records
    assert canonical in result.columns and written not in result.columns
    assert record.values[str(PEDALL.ageYears)] == 5.0
    assert record.lesions == (str(PEDALL["ETV6-RUNX1"]),)
    (warning,) = result.issues
    assert warning.severity == "warning" and warning.line == 1
    assert warning.column == canonical and warning.value == written
    assert repr(canonical) in warning.message


def test_an_unknown_column_close_to_a_contract_column_is_a_suggestion(
    model: PatientModel,
) -> None:
    result = read_csv(table({**COMPLETE_PATIENT, "wbc_per_mcl": "1"}), model, "t.csv")
    (record,) = result.records
    assert record.extra == {"wbc_per_mcl": "1"}
    (warning,) = result.issues
    assert warning.severity == "warning" and warning.column == "wbc_per_mcl"
    assert "'wbc_per_ul'" in warning.message


def test_an_unrelated_extra_column_gives_no_warning(model: PatientModel) -> None:
    result = read_csv(table({**COMPLETE_PATIENT, "hospital": "Seoul"}), model, "t.csv")
    assert result.issues == []


def test_two_spellings_of_one_column_are_an_error(model: PatientModel) -> None:
    with pytest.raises(InputFormatError, match=r"line 1: repeated column\(s\) age_years"):
        read_csv("patient_id,age_years,Age Years\nP1,5,5\n", model, "t.csv")


@pytest.mark.slow  # searches every lesion
def test_a_table_without_a_lesions_column_leaves_the_lesions_unknown(tools: Toolkit) -> None:
    row = {k: v for k, v in COMPLETE_PATIENT.items() if k != "lesions"}
    result = read_csv(table(row), tools.model, "t.csv")
    (record,) = result.records
    assert not record.lesions_known
    (warning,) = result.issues
    assert warning.severity == "warning" and warning.column == "lesions"
    assert "unknown" in warning.message
    (fast,) = tools.fast_engine.classify(result.records)
    (reference,) = tools.reference_engine.classify(result.records)
    assert fast.outcome == reference.outcome
    for done in (fast, reference):
        # Standard risk with no lesion; ETV6-RUNX1 would make it low, BCR-ABL1 very high.
        assert {"low", "standard", "very-high"} <= set(done.outcome.possible_groups)
        assert done.outcome.risk_group == "low" and done.outcome.provisional
        assert done.outcome.missing == ("lesions",)


@pytest.mark.slow  # the reference engine
def test_an_empty_lesions_cell_still_means_none_detected(tools: Toolkit) -> None:
    result = read_csv(table(COMPLETE_PATIENT), tools.model, "t.csv")
    (record,) = result.records
    assert record.lesions_known
    for engine in (tools.fast_engine, tools.reference_engine):
        (done,) = engine.classify(result.records)
        assert done.outcome.possible_groups == ("standard",)
