"""Patient data quality: each rule of shapes/patient-data.ttl catches a bad value and lets a
good one pass, with the issue located; the compiled and the pyshacl checkers agree; errors
stop a row from being classified, warnings do not; the reports read well."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyshacl import validate
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

from patient_rows import COMPLETE_PATIENT
from pedall import RESEARCH_NOTICE
from pedall.api import classify_input, validate_input
from pedall.cli.main import main
from pedall.errors import DataFileError
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.turtle import parse_turtle_files
from pedall.namespaces import PEDALL
from pedall.patients.readers.csv_table import read_csv
from pedall.shacl.compiler import ShapeCompiler
from pedall.shacl.shapes import NodeShape, PropertyShape
from pedall.shacl.values import PathValues
from pedall.toolkit import toolkit
from pedall.validate.checker import DataQualityChecker
from pedall.validate.checks import compile_checks

PSHAPE = "https://w3id.org/pedall/shapes/"
GOOD = COMPLETE_PATIENT
COLUMNS = list(GOOD)  # in the contract's column order


def table(*rows: dict[str, str]) -> bytes:
    lines = [",".join(["patient_id", *COLUMNS])]
    for number, row in enumerate(rows, start=1):
        values = {**GOOD, **row}
        lines.append(
            ",".join([values.get("patient_id", f"P{number}")] + [values[c] for c in COLUMNS])
        )
    return ("\n".join(lines) + "\n").encode()


# (shape, a good row, a bad row, the column and value the issue names, severity)
RULES = [
    ("AgeNonNegative", {"age_years": "0"}, {"age_years": "-1"}, "age_years", "-1", "error"),
    ("AgePlausible", {"age_years": "29.9"}, {"age_years": "30"}, "age_years", "30", "error"),
    ("WbcNonNegative", {"wbc_per_ul": "200"}, {"wbc_per_ul": "-5"}, "wbc_per_ul", "-5", "error"),
    # 0 to under 200/uL: almost surely a count in 10^9/L (a warning, not the error above).
    (
        "WbcLikelyOtherUnit",
        {"wbc_per_ul": "200"},
        {"wbc_per_ul": "0"},
        "wbc_per_ul",
        "0",
        "warning",
    ),
    (
        "WbcPlausible",
        {"wbc_per_ul": "2000000"},
        {"wbc_per_ul": "2000001"},
        "wbc_per_ul",
        "2000001",
        "error",
    ),
    (
        "PrephaseBlastsNonNegative",
        {"prephase_blasts_per_ul": "0"},
        {"prephase_blasts_per_ul": "-1"},
        "prephase_blasts_per_ul",
        "-1",
        "error",
    ),
    (
        "PrephaseBlastsPlausible",
        {"prephase_blasts_per_ul": "2000000"},
        {"prephase_blasts_per_ul": "2500000"},
        "prephase_blasts_per_ul",
        "2500000",
        "error",
    ),
    (
        "MrdPercentRange",
        {"mrd_eoi_percent": "100"},
        {"mrd_eoi_percent": "100.5"},
        "mrd_eoi_percent",
        "100.5",
        "error",
    ),
    (
        "MrdPercentRange",
        {"mrd_eoi_percent": "0"},
        {"mrd_eoi_percent": "-0.1"},
        "mrd_eoi_percent",
        "-0.1",
        "error",
    ),
    (
        "ChromosomeCountPlausible",
        {"chromosome_count": "20"},
        {"chromosome_count": "19"},
        "chromosome_count",
        "19",
        "error",
    ),
    (
        "ChromosomeCountPlausible",
        {"chromosome_count": "100"},
        {"chromosome_count": "101"},
        "chromosome_count",
        "101",
        "error",
    ),
    (
        "TesticularInvolvementInMale",
        {"sex": "M", "testicular_involvement": "true"},
        {"sex": "F", "testicular_involvement": "true"},
        "testicular_involvement",
        "true",
        "error",
    ),
    (
        "BcrAbl1ExcludesPhLike",
        {"lesions": "BCR-ABL1;IKZF1 deletion"},
        {"lesions": "Ph+;JAK2-r"},
        "lesions",
        "BCR::ABL1; JAK2 rearrangement",
        "error",
    ),
    (
        "AtMostOneSentinelFusion",
        {"lesions": "ETV6-RUNX1;trisomy 4"},
        {"lesions": "ETV6-RUNX1;E2A-PBX1"},
        "lesions",
        "ETV6::RUNX1; TCF3::PBX1",
        "warning",
    ),
]
RULE_IDS = [f"{rule[0]}-{rule[3]}={rule[4]}" for rule in RULES]


@pytest.fixture(scope="module")
def checker(knowledge_base: KnowledgeBase) -> DataQualityChecker:
    return toolkit(knowledge_base).data_quality


def shape_message(checker: DataQualityChecker, shape: str) -> str:
    return str(checker.shapes.value(URIRef(PSHAPE + shape), SH.message))


@pytest.mark.parametrize(
    ("shape", "good", "bad", "column", "value", "severity"), RULES, ids=RULE_IDS
)
def test_each_rule_catches_a_bad_value_and_passes_a_good_one(
    knowledge_base: KnowledgeBase,
    checker: DataQualityChecker,
    shape: str,
    good: dict[str, str],
    bad: dict[str, str],
    column: str,
    value: str,
    severity: str,
) -> None:
    outcome = validate_input(knowledge_base, table(good, bad), "text/csv", source="t.csv")
    message = shape_message(checker, shape)
    assert [(i.line, i.column, i.value, i.patient_id, i.severity) for i in outcome.issues] == [
        (3, column, value, "P2", severity)
    ]
    assert outcome.issues[0].message == message
    assert outcome.issues[0].source == "t.csv"
    assert outcome.conforms is (severity != "error")


@pytest.mark.slow  # pyshacl
def test_compiled_and_pyshacl_checkers_give_identical_issues(
    knowledge_base: KnowledgeBase,
) -> None:
    rows = [{**bad, "patient_id": f"bad-{n}"} for n, (_, _, bad, *_) in enumerate(RULES)]
    rows += [{**good, "patient_id": f"good-{n}"} for n, (_, good, *_) in enumerate(RULES)]
    rows.append(
        {
            "patient_id": "several",
            "sex": "F",
            "age_years": "31",
            "wbc_per_ul": "-1",
            "testicular_involvement": "true",
            "lesions": "BCR-ABL1;KMT2A-r;ABL1-r",  # no gene symbol: no reader warning
        }
    )
    payload = table(*rows)
    fast = validate_input(knowledge_base, payload, "text/csv", engine="fast").issues
    reference = validate_input(knowledge_base, payload, "text/csv", engine="reference").issues
    assert reference == fast
    assert {i.patient_id for i in fast} == {f"bad-{n}" for n in range(len(RULES))} | {"several"}
    several = [(i.column, i.severity) for i in fast if i.patient_id == "several"]
    assert several == [
        ("age_years", "error"),
        ("wbc_per_ul", "error"),
        ("testicular_involvement", "error"),
        ("lesions", "error"),
        ("lesions", "warning"),
    ]


TYPED_WRONG = """
@prefix pedall: <https://w3id.org/pedall/> .
@prefix patient: <https://w3id.org/pedall/patient/> .
patient:X a pedall:Patient ;
    pedall:patientId "X" ;
    pedall:sex pedall:TCell ;
    pedall:ageYears "five" ;
    pedall:chromosomeCount 46.5 ;
    pedall:testicularInvolvement "yes" ;
    pedall:immunophenotype pedall:PrecursorBCell, pedall:TCell .
"""


@pytest.mark.slow  # pyshacl
def test_datatypes_and_codes_of_an_rdf_patient_graph(
    checker: DataQualityChecker, make_graph: Callable[[str], Graph]
) -> None:
    # CSV cells are typed by the reader; a patient graph sent as RDF is checked as it is.
    _, report, _ = validate(
        make_graph(TYPED_WRONG), shacl_graph=checker.shapes, ont_graph=checker.ontology
    )
    by_pyshacl = {
        str(report.value(r, SH.sourceShape)).removeprefix(PSHAPE)
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    facts = {
        str(PEDALL.patientId): PathValues(("X",)),
        str(PEDALL.sex): PathValues((PEDALL.TCell,)),
        str(PEDALL.ageYears): PathValues(("five",)),
        str(PEDALL.chromosomeCount): PathValues((46.5,)),
        str(PEDALL.testicularInvolvement): PathValues(("yes",)),
        str(PEDALL.immunophenotype): PathValues((PEDALL.PrecursorBCell, PEDALL.TCell)),
    }
    compiled = {c.shape.removeprefix(PSHAPE) for c in checker.checks if c.holds(facts) is False}
    assert compiled == by_pyshacl
    assert {
        "SexCode",
        "AgeNumber",
        "ChromosomeCountInteger",
        "TesticularInvolvementBoolean",
        "ImmunophenotypeCode",
    } <= compiled


def test_errors_stop_a_row_and_warnings_do_not(knowledge_base: KnowledgeBase) -> None:
    payload = table(
        {"patient_id": "warned", "lesions": "ETV6-RUNX1;KMT2A-r"},
        {"patient_id": "wrong", "age_years": "-3"},
        {"patient_id": "fine"},
    )
    outcome = classify_input(knowledge_base, payload, "text/csv")
    assert [r.patient_id for r in outcome.results] == ["warned", "fine"]
    assert outcome.results[0].outcome.risk_group == "high"  # the KMT2A rearrangement
    assert [(i.patient_id, i.severity) for i in outcome.issues] == [
        ("warned", "warning"),
        ("wrong", "error"),
    ]
    document: dict[str, Any] = outcome.as_json()
    assert [e["column"] for e in document["errors"]] == ["age_years"]
    assert [w["column"] for w in document["warnings"]] == ["lesions"]


@pytest.mark.slow  # the reference engine
def test_reference_engine_path_of_classify_input(knowledge_base: KnowledgeBase) -> None:
    payload = table(
        {"patient_id": "warned", "lesions": "ETV6-RUNX1;KMT2A-r"},
        {"patient_id": "wrong", "wbc_per_ul": "3000000"},
        {"patient_id": "low", "lesions": "ETV6-RUNX1"},
    )
    fast = classify_input(knowledge_base, payload, "text/csv")
    reference = classify_input(knowledge_base, payload, "text/csv", engine="reference")
    assert reference.as_json() == fast.as_json()
    assert [r.patient_id for r in reference.results] == ["warned", "low"]


def test_check_records(knowledge_base: KnowledgeBase) -> None:
    records = validate_input(knowledge_base, table({"age_years": "40"}), "text/csv").records
    issues = toolkit(knowledge_base).data_quality.check(records, "fast")
    assert [(i.line, i.column, i.value) for i in issues] == [(2, "age_years", "40")]
    with pytest.raises(ValueError, match="engine"):
        toolkit(knowledge_base).data_quality.check(records, "quick")


@pytest.mark.slow  # the reference engine
def test_validation_report_as_json_text_and_graph(knowledge_base: KnowledgeBase) -> None:
    payload = table(
        {"patient_id": "A1", "mrd_eoi_percent": "150"},
        {"patient_id": "A2", "age_years": "old"},
        {"patient_id": "A3", "lesions": "ETV6-RUNX1;Ph+"},
    )
    outcome = validate_input(
        knowledge_base, payload, "text/csv", source="cohort.csv", engine="reference"
    )
    document: dict[str, Any] = outcome.as_json()
    assert document["conforms"] is False
    assert [(e["line"], e["column"]) for e in document["errors"]] == [
        (2, "mrd_eoi_percent"),
        (3, "age_years"),  # the reader's: not a number
    ]
    assert [w["value"] for w in document["warnings"]] == ["ETV6::RUNX1; BCR::ABL1"]

    text = outcome.as_text()
    assert "cohort.csv, line 2, patient A1, mrd_eoi_percent = 150: mrd_eoi_percent is a" in text
    assert "line 3, patient A2, age_years = old: expected a number" in text
    assert "2 error(s), 1 warning(s)" in text
    assert text.rstrip().endswith(RESEARCH_NOTICE)

    report = outcome.report_graph
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert str(report.value(node, SH.conforms)) == "false"
    results = list(report.objects(node, SH.result))
    focus = {str(report.value(r, SH.focusNode)).rsplit("/", 1)[-1] for r in results}
    assert focus == {"A1", "A3"}  # A2 never became RDF: its cell could not be read
    assert len(results) == 2


def test_a_conforming_input_reports_only_its_warnings(knowledge_base: KnowledgeBase) -> None:
    outcome = validate_input(knowledge_base, table({}, {"lesions": "KMT2A-r;t(4;11)"}), "text/csv")
    assert outcome.conforms
    assert [i.severity for i in outcome.issues] == ["warning"]
    assert "the input conforms" in outcome.as_text()


def test_a_reporting_shape_needs_a_message(make_graph: Callable[[str], Graph]) -> None:
    graph = make_graph(
        """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pedall: <https://w3id.org/pedall/> .
        @prefix ex: <http://example.org/> .
        ex:Shape sh:targetClass pedall:Patient ;
            sh:property [ sh:path pedall:ageYears ; sh:maxInclusive 20 ] .
        """
    )
    with pytest.raises(DataFileError, match="sh:message"):
        compile_checks(ShapeCompiler(graph))


def test_a_changed_bound_in_the_shapes_changes_the_issues(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    for kind in ("ontology", "shapes"):
        shutil.copytree(knowledge_base.files.folder(kind), root / kind)
    shapes = root / "shapes" / "patient-data.ttl"
    text = shapes.read_text(encoding="utf-8")
    assert text.count("sh:maxExclusive 30 ;") == 1
    shapes.write_text(text.replace("sh:maxExclusive 30 ;", "sh:maxExclusive 20 ;"), "utf-8")
    copy = KnowledgeBase.load(root)
    payload = table({"age_years": "25"})
    assert validate_input(knowledge_base, payload, "text/csv").issues == []
    (issue,) = validate_input(copy, payload, "text/csv").issues
    assert (issue.column, issue.value) == ("age_years", "25")


@pytest.mark.slow  # pyshacl against SHACL's own shapes
def test_the_data_quality_shapes_are_valid_shacl(knowledge_base: KnowledgeBase) -> None:
    shapes = parse_turtle_files(knowledge_base.files.shape_group("data-quality"))
    conforms, _, text = validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text
    checks = compile_checks(ShapeCompiler(shapes))
    assert {c.severity for c in checks} == {"error", "warning"}
    assert all(c.message for c in checks)


def test_cli_validate_exit_status_and_formats(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(table({"patient_id": "B1", "chromosome_count": "150"}))
    warned = tmp_path / "warned.csv"
    warned.write_bytes(table({"patient_id": "W1", "lesions": "ETV6-RUNX1;KMT2A-r"}))
    runner = CliRunner()

    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "patient B1, chromosome_count = 150: chromosome_count must be from 20 to 100" in (
        result.output
    )
    result = runner.invoke(main, ["validate", "--format", "json", str(warned)])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["conforms"] is True
    assert [w["patient_id"] for w in document["warnings"]] == ["W1"]
    assert document["notice"] == RESEARCH_NOTICE


def test_checks_of_bounds_alone_are_evaluated_once_a_region(
    knowledge_base: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that tests only counts, datatypes and bounds (the WBC unit warning, a node
    shape; the patient id's) is evaluated once for the values of one region, or the one
    type, and each patient still gets its own verdict, on both sides of every bound."""
    evaluated: list[str] = []
    node_components, property_evaluate = NodeShape.evaluate_components, PropertyShape.evaluate

    def components(shape: NodeShape, facts: Any) -> Any:
        evaluated.append(shape.iri)
        return node_components(shape, facts)

    def evaluate(shape: PropertyShape, facts: Any) -> Any:
        evaluated.append(shape.path)
        return property_evaluate(shape, facts)

    monkeypatch.setattr(NodeShape, "evaluate_components", components)
    monkeypatch.setattr(PropertyShape, "evaluate", evaluate)
    checker = DataQualityChecker.from_knowledge(knowledge_base)
    counts = ["10", "150", "199.5", "200", "5000", "250000"]
    text = table(*({"patient_id": f"P{n}", "wbc_per_ul": c} for n, c in enumerate(counts)))
    records = read_csv(text.decode(), checker.model).records
    evaluated.clear()
    found = checker.issues_by_record(records)
    unit_warning = [any(i.column == "wbc_per_ul" for i in issues) for issues in found]
    assert unit_warning == [True, True, True, False, False, False]
    assert evaluated.count(PSHAPE + "WbcLikelyOtherUnit") == 3  # [0, 200), 200, (200, 2e6)
    assert evaluated.count(str(PEDALL.patientId)) == 1  # six ids, one type
