"""Parquet in and out: ``pedall classify FILE.parquet`` reads typed or text columns as the
CSV contract's cells, and ``--format parquet`` writes the fixed results schema with the
same results as ``--format json``, a row per input row, errors on their rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pedall.cli.main import main
from pedall.patients.readers.parquet import cell_text
from pedall.patients.readers.registry import reader_for_path

pytestmark = pytest.mark.slow  # pyarrow

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

CSV = (
    "patient_id,age_years,wbc_per_ul,immunophenotype,cns_status,lesions,trial_site\n"
    "P1,4,12000,B,CNS1,,north\n"
    "P2,12,80000,B,,MLL,south\n"
    "P3,abc,1000,B,CNS1,,east\n"
    "P4,5,,T,CNS1,,west\n"
)


def _typed_table() -> Any:
    """The rows of ``CSV`` with typed columns (numbers, nulls, a list of lesions); P3's
    bad age stays text so that it is an error on its row."""
    return pa.table(
        {
            "patient_id": ["P1", "P2", "P3", "P4"],
            "age_years": ["4", "12", "abc", "5"],
            "wbc_per_ul": pa.array([12000.0, 80000.0, 1000.0, None], pa.float64()),
            "immunophenotype": ["B", "B", "B", "T"],
            "cns_status": ["CNS1", None, "CNS1", "CNS1"],
            "lesions": pa.array([[], ["MLL"], [], []], pa.list_(pa.string())),
            "trial_site": ["north", "south", "east", "west"],
        }
    )


def _classify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["classify", *args])
    return result.exit_code, result.stdout


def test_parquet_files_are_registered_readers() -> None:
    assert reader_for_path("cohort.parquet").name == "parquet"


def test_typed_values_become_csv_cell_text() -> None:
    assert [cell_text(v) for v in (None, False, 80000.0, 0.5, 3, ["MLL", "t(9;22)"])] == [
        "",
        "false",
        "80000",
        "0.5",
        "3",
        "MLL;t(9;22)",
    ]


def test_a_typed_parquet_table_classifies_as_the_same_csv(tmp_path: Path) -> None:
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    parquet_file = tmp_path / "cohort.parquet"
    pq.write_table(_typed_table(), parquet_file)
    csv_status, csv_json = _classify(str(csv_file), "--format", "json")
    parquet_status, parquet_json = _classify(str(parquet_file), "--format", "json")
    assert csv_status == parquet_status == 1  # P3's age
    from_csv, from_parquet = json.loads(csv_json), json.loads(parquet_json)
    for document in (from_csv, from_parquet):
        for item in document["results"] + document["errors"] + document["warnings"]:
            item.pop("source", None)
    assert from_parquet == from_csv
    (error,) = from_parquet["errors"]
    assert (error["line"], error["column"], error["value"]) == (4, "age_years", "abc")


def test_parquet_output_holds_the_json_results_row_by_row(tmp_path: Path) -> None:
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    out = tmp_path / "results.parquet"
    status, _ = _classify(str(csv_file), "--format", "parquet", "-o", str(out))
    assert status == 1
    _, json_text = _classify(str(csv_file), "--format", "json")
    expected = json.loads(json_text)
    table = pq.read_table(out)
    assert table.schema.names == [
        "patient_id",
        "risk_group",
        "possible_groups",
        "provisional",
        "missing",
        "criteria",
        "nci_rome",
        "trial_site",
        "errors",
        "warnings",
    ]
    assert table.schema.field("criteria").type == pa.list_(
        pa.struct(
            [
                ("id", pa.string()),
                ("label", pa.string()),
                ("group", pa.string()),
                ("sources", pa.list_(pa.string())),
            ]
        )
    )
    rows = table.to_pylist()
    assert [row["patient_id"] for row in rows] == ["P1", "P2", "P3", "P4"]  # input order
    by_id = {row["patient_id"]: row for row in rows}
    for result in expected["results"]:
        row = by_id[result["patient_id"]]
        for column in ("risk_group", "possible_groups", "provisional", "missing", "nci_rome"):
            assert row[column] == result[column], column
        assert row["trial_site"] == result["trial_site"]
        assert row["criteria"] == [
            {key: criterion[key] for key in ("id", "label", "group", "sources")}
            for criterion in result["criteria"]
        ]
        assert row["errors"] == []
    bad = by_id["P3"]
    assert bad["risk_group"] is None and bad["possible_groups"] == []
    assert bad["errors"] == [
        {key: error[key] for key in ("column", "value", "message")} for error in expected["errors"]
    ]


def test_parquet_output_needs_a_file(tmp_path: Path) -> None:
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["classify", str(csv_file), "--format", "parquet"])
    assert result.exit_code == 2 and "-o" in result.output


def test_a_file_that_is_not_parquet_is_a_located_error(tmp_path: Path) -> None:
    fake = tmp_path / "cohort.parquet"
    fake.write_bytes(b"patient_id\nP1\n")
    result = CliRunner().invoke(main, ["classify", str(fake), "--format", "json"])
    assert result.exit_code == 1
    assert "not a readable Parquet file" in result.stdout
