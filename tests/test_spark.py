"""``pedall.spark.classify``: a DataFrame classified on a local[2] Spark session gives the
results of ``pedall classify --format json`` on the same rows, bad rows with their located
errors and null risk group, every other row classified."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pedall.cli.main import main

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17", allow_module_level=True)

pytestmark = pytest.mark.slow  # a Spark session takes 10-20 s to start

CSV = (
    "patient_id,age_years,wbc_per_ul,immunophenotype,cns_status,lesions,trial_site\n"
    "P1,4,12000,B,CNS1,,north\n"
    "P2,12,80000,B,,MLL,south\n"
    "P3,abc,1000,B,CNS1,,east\n"
    "P4,5,,T,CNS1,,west\n"
    "P5,0.5,30000,B,CNS3,ETV6-RUNX1,north\n"
)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter, where pedall is installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable

    session = (
        SparkSession.builder.master("local[2]")
        .appName("pedall-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_classify_equals_the_cli_json(spark: Any, tmp_path: Path) -> None:
    import pedall.spark as pedall_spark

    table = tmp_path / "cohort.csv"
    table.write_text(CSV, encoding="utf-8")
    cli = CliRunner().invoke(main, ["classify", str(table), "--format", "json"])
    assert cli.exit_code == 1  # P3's age
    expected = json.loads(cli.stdout)
    # Typed columns, as a warehouse table has them; two partitions, batches of two rows.
    df = spark.read.csv(str(table), header=True, inferSchema=True).repartition(2)
    rows = {
        row["patient_id"]: row.asDict(recursive=True) for row in pedall_spark.classify(df).collect()
    }
    assert sorted(rows) == ["P1", "P2", "P3", "P4", "P5"]  # nothing lost
    for result in expected["results"]:
        row = rows[result["patient_id"]]
        for column in ("risk_group", "possible_groups", "provisional", "missing", "nci_rome"):
            assert row[column] == result[column], (result["patient_id"], column)
        assert row["trial_site"] == result["trial_site"]
        assert row["criteria"] == [
            {key: criterion[key] for key in ("id", "label", "group", "sources")}
            for criterion in result["criteria"]
        ]
        assert row["errors"] == []
    bad = rows["P3"]
    assert bad["risk_group"] is None
    assert bad["errors"] == [
        {key: error[key] for key in ("column", "value", "message")} for error in expected["errors"]
    ]


def test_spark_validate_locates_the_cli_errors_on_their_rows(spark: Any, tmp_path: Path) -> None:
    import pedall.spark as pedall_spark

    table = tmp_path / "cohort.csv"
    table.write_text(CSV, encoding="utf-8")
    cli = CliRunner().invoke(main, ["validate", str(table), "--format", "json"])
    expected = json.loads(cli.stdout)
    df = spark.read.csv(str(table), header=True, inferSchema=True).repartition(2)
    rows = {
        row["patient_id"]: row.asDict(recursive=True) for row in pedall_spark.validate(df).collect()
    }
    assert sorted(rows) == ["P1", "P2", "P3", "P4", "P5"]
    for severity in ("errors", "warnings"):
        found = sorted(
            (patient_id, issue["column"], issue["value"], issue["message"])
            for patient_id, row in rows.items()
            for issue in row[severity]
        )
        assert found == sorted(
            (issue["patient_id"], issue["column"], issue["value"], issue["message"])
            for issue in expected[severity]
        ), severity
    assert rows["P3"]["errors"] and not rows["P1"]["errors"]
