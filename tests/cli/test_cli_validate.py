"""``pedall validate``: the data-quality report for a person (text), as JSON and as the
standard SHACL report graph, with located problems and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal
from rdflib.namespace import SH

from cli_runner import CliInvoke
from pedall import RESEARCH_NOTICE
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PATIENT, PEDALL

EXAMPLE = DataFiles.default().root / "examples" / "patients.csv"


def test_the_text_report_names_row_patient_field_value_and_reason(cli: CliInvoke) -> None:
    result = cli("validate", str(EXAMPLE))
    assert result.exit_code == 1
    text = result.stdout
    assert "1 error(s), 1 warning(s)" in text
    assert f"{EXAMPLE}, line 14, patient P13, age_years = seven: expected a number" in text
    assert "line 7, patient P06, lesions = BCR::ABL1; ETV6::RUNX1" in text
    assert RESEARCH_NOTICE in text


def test_the_json_report(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text(
        "patient_id,sex,age_years,wbc_per_ul,testicular_involvement,lesions\n"
        "A,F,5,-3,true,\n"
        "B,M,4,1000,,\n"
        "C,M,40,1000,,\n"
    )
    result = cli("validate", str(patients), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["conforms"] is False
    located = [(e["line"], e["patient_id"], e["column"], e["value"]) for e in document["errors"]]
    assert located == [
        (2, "A", "wbc_per_ul", "-3"),
        (2, "A", "testicular_involvement", "true"),
        (4, "C", "age_years", "40"),
    ]
    assert document["warnings"] == []


def test_valid_input_and_warnings_alone_exit_0(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id,age_years,lesions\nA,5,\nB,6,Ph+;TEL-AML1\n")
    result = cli("validate", str(patients), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["conforms"] is True
    assert [w["patient_id"] for w in document["warnings"]] == ["B"]


def test_a_patient_graph_is_validated_by_node(cli: CliInvoke, tmp_path: Path) -> None:
    graph = tmp_path / "p.ttl"
    graph.write_text(
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<http://example.org/p1> a pedall:Patient ; pedall:patientId "P1" ; '
        "pedall:ageYears -1 .\n"
        "<http://example.org/p2> a pedall:Patient ; pedall:ageYears 3 .\n"
    )
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix pedall: <https://w3id.org/pedall/> .\npedall:a pedall:b\n")
    result = cli("validate", str(graph), str(broken), "--format", "json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert sorted(
        (e["source"], e["line"] or 0, e["node"] or "", e["column"] or "") for e in errors
    ) == [
        (str(broken), 3, "", ""),
        (str(graph), 0, "http://example.org/p1", "age_years"),
        (str(graph), 0, "http://example.org/p2", "patient_id"),
    ]


@pytest.mark.slow  # pyshacl
def test_the_ttl_report_is_the_standard_shacl_report(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id,age_years,wbc_per_ul\nA,5,-3\nB,6,1000\n")
    result = cli("validate", str(patients), "--format", "ttl")
    assert result.exit_code == 1
    graph = Graph()
    graph.parse(data=result.stdout, format="turtle")
    (report,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert (report, SH.conforms, Literal(False)) in graph
    (violation,) = graph.objects(report, SH.result)
    assert (violation, SH.focusNode, PATIENT["A"]) in graph
    assert (violation, SH.resultPath, PEDALL.wbcPerMicroliter) in graph
    assert (violation, SH.resultSeverity, SH.Violation) in graph


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "missing.csv"],
        ["validate", str(EXAMPLE), "--format", "table"],
        ["validate"],
    ],
)
def test_usage_errors_exit_2(cli: CliInvoke, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
