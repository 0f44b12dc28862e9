"""``pedall classify``: every output format parses and holds the contract, errors are
located per file, and the exit status says whether the input was valid."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from cli_runner import CliInvoke
from pedall import RESEARCH_NOTICE
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PATIENT, PEDALL

EXAMPLE = "examples/patients.csv"
VALID_CSV = "patient_id,age_years,immunophenotype,lesions\nA1,16,B,\nA2,5,T,\n"


@pytest.fixture
def example_path() -> Path:
    path = DataFiles.default().root / EXAMPLE
    assert path.is_file()
    return path


def test_json_is_one_object_with_results_errors_and_warnings(
    cli: CliInvoke, example_path: Path
) -> None:
    result = cli("classify", str(example_path), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert {"results", "errors", "warnings"} <= set(document)
    by_id = {r["patient_id"]: r for r in document["results"]}
    groups = {r["risk_group"] for r in by_id.values()}
    assert groups == {"low", "standard", "high", "very-high"}
    assert {r["nci_rome"] for r in by_id.values()} == {"standard", "high", "not-applicable", None}
    t_all = by_id["P08"]
    assert (t_all["risk_group"], t_all["provisional"]) == ("high", True)
    assert t_all["possible_groups"] == ["high", "very-high"]
    assert "prephase_blasts_per_ul" in t_all["missing"]
    assert all(r["site"] for r in by_id.values())
    (error,) = document["errors"]
    assert (error["line"], error["column"], error["value"]) == (14, "age_years", "seven")
    assert error["source"] == str(example_path)
    assert "P13" not in by_id
    assert RESEARCH_NOTICE in result.stderr


def test_csv_has_one_row_a_patient(cli: CliInvoke, example_path: Path) -> None:
    result = cli("classify", str(example_path), "--format", "csv")
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:7] == [
        "patient_id",
        "risk_group",
        "possible_groups",
        "provisional",
        "missing",
        "criteria",
        "nci_rome",
    ]
    by_id = {row["patient_id"]: row for row in rows}
    assert len(by_id) == 12
    assert by_id["P08"]["possible_groups"] == "high;very-high"
    assert by_id["P08"]["provisional"] == "true"
    assert by_id["P06"]["criteria"].split(";")[0] == "CMCP-ALL2008-very-high-bcr-abl1"
    assert by_id["P11"]["nci_rome"] == ""
    assert by_id["P01"]["site"] == "Seoul"


def test_ttl_has_the_patients_with_their_classification(cli: CliInvoke, example_path: Path) -> None:
    result = cli("classify", str(example_path), "--format", "ttl")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"# {RESEARCH_NOTICE}\n")
    graph = Graph()
    graph.parse(data=result.stdout, format="turtle")
    t_all = PATIENT["P08"]
    assert (t_all, PEDALL.patientId, Literal("P08")) in graph
    assert (t_all, PEDALL.assignedRiskGroup, PEDALL["CMCP-ALL2008-high"]) in graph
    assert (t_all, PEDALL.assignedRiskGroup, PEDALL["NCI-Rome-not-applicable"]) in graph
    assert set(graph.objects(t_all, PEDALL.possibleRiskGroup)) == {
        PEDALL["CMCP-ALL2008-high"],
        PEDALL["CMCP-ALL2008-very-high"],
    }
    assert (t_all, PEDALL.provisionalClassification, Literal(True)) in graph
    assert (t_all, PEDALL.missingField, Literal("prephase_blasts_per_ul")) in graph
    assert (t_all, PEDALL.immunophenotype, PEDALL.TCell) in graph
    ph_positive = PATIENT["P06"]
    lesion_types = {
        kind
        for lesion in graph.objects(ph_positive, PEDALL.hasLesion)
        for kind in graph.objects(lesion, RDF.type)
    }
    assert lesion_types == {PEDALL["BCR-ABL1"], PEDALL["ETV6-RUNX1"]}
    assert (ph_positive, PEDALL.meetsCriterion, PEDALL["CMCP-ALL2008-very-high-bcr-abl1"]) in graph
    assert (ph_positive, PEDALL.ageYears, None) in graph
    assert (PATIENT["P13"], None, None) not in graph


def test_the_table_explains_and_carries_the_notice(cli: CliInvoke, example_path: Path) -> None:
    result = cli("classify", str(example_path))
    assert result.exit_code == 1
    text = result.stdout
    for expected in (
        "P08",
        "provisional",
        "prephase_blasts_per_ul",
        "BCR-ABL1 positive ALL",
        "doi:10.3345/kjp.2017.60.5.129",
        "line 14",
        "seven",
        RESEARCH_NOTICE,
    ):
        assert expected in text


def test_patient_data_is_shown_as_given_not_as_markup(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id,age_years\n[bold]X[/bold],16\n[red]Y,old\n")
    result = cli("classify", str(patients))
    assert "[bold]X[/bold]" in result.stdout
    assert "[red]Y" in result.stdout


def test_valid_input_exits_0(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "valid.csv"
    patients.write_text(VALID_CSV)
    result = cli("classify", str(patients), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [r["patient_id"] for r in document["results"]] == ["A1", "A2"]
    assert document["errors"] == []


def test_stdin_is_read_as_csv(cli: CliInvoke) -> None:
    result = cli("classify", "-", "--format", "csv", stdin=VALID_CSV)
    assert result.exit_code == 0
    assert [row["patient_id"] for row in csv.DictReader(io.StringIO(result.stdout))] == [
        "A1",
        "A2",
    ]


def test_several_files_give_one_document_with_errors_located_per_file(
    cli: CliInvoke,
    tmp_path: Path,
) -> None:
    table = tmp_path / "a.csv"
    table.write_text("patient_id,age_years\nC1,16\nC2,-\n")
    graph = tmp_path / "b.ttl"
    graph.write_text(
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<http://example.org/t1> a pedall:Patient ; pedall:patientId "T1" ; '
        "pedall:ageYears 12 .\n"
        '<http://example.org/t2> a pedall:Patient ; pedall:ageYears "x" .\n'
    )
    broken = tmp_path / "c.ttl"
    broken.write_text("@prefix pedall: <https://w3id.org/pedall/> .\n\npedall:x pedall:y .\n")
    linked = tmp_path / "d.jsonld"
    linked.write_text(
        json.dumps(
            {
                "@context": {"pedall": "https://w3id.org/pedall/"},
                "@id": "http://example.org/j1",
                "@type": "pedall:Patient",
                "pedall:patientId": "J1",
                "pedall:hasLesion": {"@id": "pedall:BCR-ABL1"},
            }
        )
    )
    result = cli("classify", str(table), str(graph), str(broken), str(linked), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert {r["patient_id"]: r["risk_group"] for r in document["results"]} == {
        "C1": "very-high",
        "T1": "high",
        "J1": "very-high",
    }
    located = [(e["source"], e["line"], e["node"], e["column"]) for e in document["errors"]]
    assert located == [
        (str(table), 3, None, "age_years"),
        (str(graph), None, "http://example.org/t2", "patient_id"),
        (str(graph), None, "http://example.org/t2", "age_years"),
        (str(broken), 3, None, None),
    ]
    assert "not valid Turtle" in document["errors"][3]["message"]


def test_output_file_is_written_whole(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "valid.csv"
    patients.write_text(VALID_CSV)
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    result = cli("classify", str(patients), "--format", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(json.loads(target.read_text())["results"]) == 2
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "missing.csv"], "does not exist"),
        (["classify", "{txt}"], "unknown input format"),
        (["classify", "{csv}", "--format", "xml"], "Invalid value for '--format'"),
        (["classify", "{csv}", "--engine", "slow"], "Invalid value for '--engine'"),
        (["classify"], "Missing argument"),
    ],
)
def test_usage_errors_exit_2(
    cli: CliInvoke,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "p.txt").write_text(VALID_CSV)
    (tmp_path / "p.csv").write_text(VALID_CSV)
    filled = [a.format(txt=tmp_path / "p.txt", csv=tmp_path / "p.csv") for a in args]
    result = cli(*filled)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_the_ttl_patient_keeps_its_own_iri(cli: CliInvoke, tmp_path: Path) -> None:
    graph_file = tmp_path / "p.ttl"
    graph_file.write_text(
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<http://example.org/p1> a pedall:Patient ; pedall:patientId "P1" ; '
        "pedall:ageYears 16 ; pedall:csfWbcPerMicroliter 3 .\n"
    )
    result = cli("classify", str(graph_file), "--format", "ttl")
    assert result.exit_code == 0
    graph = Graph()
    graph.parse(data=result.stdout, format="turtle")
    node = URIRef("http://example.org/p1")
    assert (node, PEDALL.assignedRiskGroup, PEDALL["CMCP-ALL2008-very-high"]) in graph
    assert (node, PEDALL.csfWbcPerMicroliter, None) in graph


@pytest.mark.slow  # the reference engine
def test_the_reference_engine_prints_the_same_results(cli: CliInvoke, tmp_path: Path) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text(
        "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
        "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
        "down_syndrome,site\n"
        "R1,F,4,12000,B,CNS1,false,200,0.005,true,46,TEL-AML1,false,Seoul\n"
        "R2,M,7,20000,T,CNS1,false,,0.005,true,46,,false,Busan\n"
        "R3,M,7,-5,T,CNS1,false,,0.005,true,46,,false,Busan\n"
    )
    # Raw CSF findings are only in RDF input: the reference engine must write them too.
    graph = tmp_path / "p.ttl"
    graph.write_text(
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<http://example.org/r4> a pedall:Patient ; pedall:patientId "R4" ; '
        "pedall:ageYears 5 ; pedall:immunophenotype pedall:PrecursorBCell ; "
        "pedall:wbcPerMicroliter 1000 ; pedall:prephaseBlastsPerMicroliter 10 ; "
        "pedall:mrdEndOfInductionPercent 0 ; pedall:completeRemissionAfterInduction true ; "
        "pedall:chromosomeCount 46 ; pedall:testicularInvolvement false ; "
        "pedall:csfWbcPerMicroliter 7 ; pedall:csfBlastsSeen true .\n"
    )
    documents = {}
    for engine in ("fast", "reference"):
        result = cli("classify", str(patients), str(graph), "--format", "json", "--engine", engine)
        assert result.exit_code == 1
        documents[engine] = json.loads(result.stdout)
    assert documents["fast"] == documents["reference"]
    results = documents["fast"]["results"]
    assert [r["risk_group"] for r in results] == ["low", "high", "high"]
    assert "CMCP-ALL2008-high-cns-testis" in {c["id"] for c in results[2]["criteria"]}
    assert [e["patient_id"] for e in documents["fast"]["errors"]] == ["R3"]


def test_the_ttl_output_reads_back_to_the_same_classification(
    cli: CliInvoke, example_path: Path, tmp_path: Path
) -> None:
    first = cli("classify", str(example_path), "--format", "ttl")
    graph_file = tmp_path / "classified.ttl"
    graph_file.write_text(first.stdout)
    again = cli("classify", str(graph_file), "--format", "json")
    assert again.exit_code == 0, again.output
    document = json.loads(again.stdout)
    table = json.loads(cli("classify", str(example_path), "--format", "json").stdout)
    assert document["errors"] == []
    # The same data-quality warnings, and none about the classification terms read back.
    assert [w["message"] for w in document["warnings"]] == [w["message"] for w in table["warnings"]]
    contract = ("risk_group", "possible_groups", "provisional", "missing", "criteria", "nci_rome")

    def by_id(results: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
        return {r["patient_id"]: tuple(r[key] for key in contract) for r in results}

    assert by_id(document["results"]) == by_id(table["results"])
