"""WBC in 10^9/L (wbc_10e9_per_l) beside WBC per uL, and a per-uL count in the wrong unit."""

from __future__ import annotations

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.api import classify_input, validate_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.readers.csv_table import read_csv
from pedall.toolkit import Toolkit, toolkit


@pytest.fixture(scope="module")
def tools(knowledge_base: KnowledgeBase) -> Toolkit:
    return toolkit(knowledge_base)


def table(**cells: str) -> str:
    row = {**COMPLETE_PATIENT, **cells}
    return "patient_id," + ",".join(row) + "\nP1," + ",".join(row.values()) + "\n"


@pytest.mark.slow  # the reference engine
def test_wbc_in_10e9_per_liter_is_read_per_microliter(tools: Toolkit) -> None:
    result = read_csv(table(wbc_per_ul="", wbc_10e9_per_l="60"), tools.model, "t.csv")
    assert result.issues == []
    (record,) = result.records
    assert record.values[str(PEDALL.wbcPerMicroliter)] == 60_000.0
    for engine in (tools.fast_engine, tools.reference_engine):
        (done,) = engine.classify(result.records)
        assert done.outcome.possible_groups == ("high",)  # WBC >= 50,000/uL


def test_the_conversion_factor_is_data(tools: Toolkit) -> None:
    (spec,) = [f for f in tools.model.fields if f.column == "wbc_10e9_per_l"]
    assert (spec.converts_to, spec.factor) == (str(PEDALL.wbcPerMicroliter), 1000.0)


def test_both_columns_agreeing_is_fine_and_disagreeing_an_error(tools: Toolkit) -> None:
    agree = read_csv(table(wbc_per_ul="60000", wbc_10e9_per_l="60"), tools.model, "t.csv")
    assert agree.issues == [] and len(agree.records) == 1
    clash = read_csv(table(wbc_per_ul="6000", wbc_10e9_per_l="60"), tools.model, "t.csv")
    assert clash.records == []
    (issue,) = clash.issues
    assert (issue.line, issue.column, issue.value, issue.severity) == (
        2,
        "wbc_10e9_per_l",
        "60",
        "error",
    )
    assert "wbc_per_ul" in issue.message and "wbc_10e9_per_l" in issue.message


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_wbc_per_ul_far_too_low_warns_of_the_unit(
    knowledge_base: KnowledgeBase, engine: str
) -> None:
    outcome = validate_input(
        knowledge_base, table(wbc_per_ul="60").encode(), "text/csv", engine=engine
    )
    (warning,) = outcome.issues
    assert (warning.severity, warning.column, warning.value) == ("warning", "wbc_per_ul", "60")
    assert "10^9/L" in warning.message and "wbc_10e9_per_l" in warning.message
    classified = classify_input(knowledge_base, table(wbc_per_ul="60").encode(), "text/csv")
    assert len(classified.results) == 1  # a warning does not stop the row


def test_a_low_but_plausible_wbc_gives_no_warning(knowledge_base: KnowledgeBase) -> None:
    outcome = validate_input(knowledge_base, table(wbc_per_ul="1500").encode(), "text/csv")
    assert outcome.issues == []


def test_a_patient_graph_gives_wbc_in_10e9_per_liter_too(knowledge_base: KnowledgeBase) -> None:
    turtle = b"""
    @prefix pedall: <https://w3id.org/pedall/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <https://example.org/p/1> a pedall:Patient ; pedall:patientId "R1" ;
        pedall:wbc10e9PerLiter "60"^^xsd:decimal .
    <https://example.org/p/2> a pedall:Patient ; pedall:patientId "R2" ;
        pedall:wbc10e9PerLiter "60"^^xsd:decimal ; pedall:wbcPerMicroliter "6000"^^xsd:decimal .
    """
    outcome = classify_input(knowledge_base, turtle, "text/turtle")
    (result,) = outcome.results
    assert result.patient_id == "R1"
    (issue,) = [i for i in outcome.issues if i.is_error]
    assert (issue.patient_id, issue.column) == ("R2", "wbc_10e9_per_l")
    assert "wbc_per_ul" in issue.message
    records = validate_input(knowledge_base, turtle, "text/turtle").records
    assert records[0].values[str(PEDALL.wbcPerMicroliter)] == 60_000.0
