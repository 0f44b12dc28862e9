"""``pedall classify --format parquet`` streamed: the cohort runner hands each row to a
Parquet writer that writes a row group every ``row_group_rows`` rows with the schema of the
Spark output, rows equal to the JSON output's, every row with its own errors and warnings,
and a file that replaces the target only when the run completes."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from pedall.api import classify_input
from pedall.classify.result import table_columns
from pedall.classify.schemes import Schemes
from pedall.cli.main import main
from pedall.cohort.output_files import open_binary_output
from pedall.cohort.runner import CohortRunner, PatientFile
from pedall.knowledge.base import KnowledgeBase
from pedall.testing.cohort import cohort_csv
from pedall.writers.json_results import JsonResults
from pedall.writers.parquet import results_schema, write_results_parquet
from pedall.writers.parquet_results import ParquetResults

pytestmark = pytest.mark.slow  # pyarrow, and cohorts streamed through the workers

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

PATIENTS = 700
ISSUE_KEYS = ("column", "value", "message")


def cohort_with_issues(count: int) -> str:
    """A generated cohort with a header spelled loosely (a header warning), a pass-through
    column, unreadable cells, data-quality errors, duplicate ids and bare gene symbols
    (warnings on rows that are still classified)."""
    rows = list(csv.reader(io.StringIO(cohort_csv(count, seed=23))))
    header = rows[0]
    age, cns, lesions = (header.index(c) for c in ("age_years", "cns_status", "lesions"))
    header[age] = "Age_Years"
    header.append("site")
    for index, row in enumerate(rows[1:], start=1):
        row.append(f"site-{index % 3}")
        if index % 53 == 0:
            row[age] = "-4"  # a data-quality error
        if index % 71 == 0:
            row[cns] = "CNS9"  # not a code: the reader's error
        if index % 41 == 0:
            row[lesions] = "MLL"  # a bare gene symbol: a warning, still classified
        if index % 97 == 0:
            row[0] = "P0000002"  # a duplicate id
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def rows_from_json(
    document: dict[str, Any], lines: int, extras: tuple[str, ...], schemes: Schemes
) -> list[Any]:
    """The Parquet rows that a JSON results document stands for, for a table whose data
    rows are on lines 2 to ``lines``: a row for the header's issues, then one per data
    row, the rows with errors unclassified."""
    issues = document["errors"] + document["warnings"]
    results = iter(document["results"])
    rows = []
    for line in range(1, lines + 1):
        here = {
            key: [{k: i[k] for k in ISSUE_KEYS} for i in document[key] if i["line"] == line]
            for key in ("errors", "warnings")
        }
        if line == 1 and not (here["errors"] or here["warnings"]):
            continue
        if line == 1 or here["errors"]:
            ids = [i["patient_id"] for i in issues if i["line"] == line and i["patient_id"]]
            row = dict.fromkeys(("risk_group", "provisional", "nci_rome", *extras))
            row.update(patient_id=(ids or [None])[0], possible_groups=[], missing=[], criteria=[])
        else:
            result = next(results)
            row = {key: result.get(key) for key in (*table_columns(schemes), *extras)}
            row["criteria"] = [
                {k: c[k] for k in ("id", "label", "group", "sources")} for c in result["criteria"]
            ]
        rows.append(row | here)
    assert next(results, None) is None
    return rows


def parquet_file(sink: io.BytesIO | Path) -> Any:
    return pq.ParquetFile(io.BytesIO(sink.getvalue()) if isinstance(sink, io.BytesIO) else sink)


@pytest.fixture(scope="module")
def table() -> bytes:
    return cohort_with_issues(PATIENTS).encode()


@pytest.mark.parametrize("workers", [None, 2])
def test_a_cohort_larger_than_a_row_group_is_streamed_as_the_json_rows(
    knowledge_base: KnowledgeBase, schemes: Schemes, table: bytes, workers: int | None
) -> None:
    group_rows = 128
    parallel_from = 10**9 if workers is None else 150
    sink, out = io.BytesIO(), io.StringIO()
    with CohortRunner(
        knowledge_base, workers=workers, batch_size=60, parallel_from=parallel_from
    ) as runner:
        with ParquetResults(sink, schemes, row_group_rows=group_rows) as writer:
            summary = runner.classify(io.BytesIO(table), "cohort.csv", writer)
            writer.finish(summary.issues)
        json_writer = JsonResults(out)
        json_writer.finish(runner.classify(io.BytesIO(table), "cohort.csv", json_writer).issues)
    document = json.loads(out.getvalue())
    parquet = parquet_file(sink)
    rows = parquet.read().to_pylist()
    assert rows == rows_from_json(document, PATIENTS + 1, ("site",), schemes)
    # one row a data row, and one for the header's warning (Age_Years)
    assert len(rows) == PATIENTS + 1 and rows[0]["patient_id"] is None
    assert rows[0]["warnings"][0]["column"] == "age_years"
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert parquet.num_row_groups == math.ceil(len(rows) / group_rows) > 1
    assert set(sizes[:-1]) == {group_rows} and 0 < sizes[-1] <= group_rows


def test_errors_are_on_their_rows_and_every_other_row_is_classified(
    knowledge_base: KnowledgeBase, schemes: Schemes, table: bytes
) -> None:
    sink = io.BytesIO()
    with (
        CohortRunner(knowledge_base, batch_size=60) as runner,
        ParquetResults(sink, schemes) as writer,
    ):
        runner.classify(io.BytesIO(table), "cohort.csv", writer)
    rows = parquet_file(sink).read().to_pylist()[1:]  # after the header's row
    failed = [row for row in rows if row["errors"]]
    messages = {
        error["message"].split(" (")[0].split(" '")[0] for r in failed for error in r["errors"]
    }
    assert {"duplicate patient_id", "age_years must not be negative"} <= messages
    assert all(row["risk_group"] is None and row["criteria"] == [] for row in failed)
    classified = [row for row in rows if not row["errors"]]
    assert len(classified) == PATIENTS - len(failed) > PATIENTS * 0.9
    assert all(row["risk_group"] is not None for row in classified)
    # a bare gene symbol warns on its row, which is still classified (every 41st row)
    warned = [r for r in classified if any(w["value"] == "MLL" for w in r["warnings"])]
    assert len(warned) >= 10 and all(r["risk_group"] is not None for r in warned)
    assert {row["site"] for row in classified} == {"site-0", "site-1", "site-2"}


def write_text_parquet(table: bytes, path: Path) -> Path:
    """The CSV table as Parquet, every column text."""
    header, *cells = list(csv.reader(io.StringIO(table.decode())))
    columns = {name: [row[i] for row in cells] for i, name in enumerate(header)}
    pq.write_table(pa.table(columns), path)
    return path


def test_the_cli_writes_the_spark_schema_privately_from_csv_and_parquet_alike(
    schemes: Schemes, table: bytes, tmp_path: Path
) -> None:
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_bytes(table)
    parquet_input = write_text_parquet(table, tmp_path / "cohort.parquet")
    outputs = {}
    for source in (csv_file, parquet_input):
        target = tmp_path / f"{source.suffix[1:]}-results.parquet"
        args = ["classify", str(source), "--format", "parquet", "-o", str(target)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1  # the table has errors; the other rows are written
        assert target.stat().st_mode & 0o777 == 0o600
        schema = pq.read_schema(target).remove_metadata()
        assert schema.equals(results_schema(schemes, ("site",)))
        outputs[source.suffix] = pq.read_table(target).to_pylist()
    as_json = CliRunner().invoke(main, ["classify", str(csv_file), "--format", "json"])
    expected = rows_from_json(json.loads(as_json.stdout), PATIENTS + 1, ("site",), schemes)
    assert outputs[".csv"] == outputs[".parquet"] == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "cohort.csv",
        "cohort.parquet",
        "csv-results.parquet",
        "parquet-results.parquet",
    ]


TURTLE = b"""@prefix pedall: <https://w3id.org/pedall/> .
@prefix ex: <http://example.org/> .
ex:p1 a pedall:Patient ; pedall:patientId "T1" ; pedall:ageYears 4.5 ;
    pedall:wbcPerMicroliter 12000 ; pedall:immunophenotype pedall:PrecursorBCell .
ex:p2 a pedall:Patient ; pedall:patientId "T2" ; pedall:ageYears -3 .
"""


def test_files_of_every_kind_stream_to_what_the_in_memory_writer_writes(
    knowledge_base: KnowledgeBase, schemes: Schemes, table: bytes, tmp_path: Path
) -> None:
    files = {
        "cohort.csv": table,
        "patients.ttl": TURTLE,
        "empty.csv": b"",  # a file that cannot be read: one row for its error
        "cohort.parquet": write_text_parquet(table, tmp_path / "in.parquet").read_bytes(),
        "phenopacket.json": Path("examples/phenopacket-b-all-etv6-runx1.json").read_bytes(),
    }
    media = {".csv": "text/csv", ".ttl": "text/turtle", ".parquet": "application/x-parquet"}
    media[".json"] = "application/json"
    inputs = [
        PatientFile(partial(io.BytesIO, body), media[Path(name).suffix], name)
        for name, body in files.items()
    ]
    streamed = tmp_path / "streamed.parquet"
    with (
        open_binary_output(streamed) as sink,
        ParquetResults(sink, schemes, row_group_rows=100) as writer,
        CohortRunner(knowledge_base, batch_size=60) as runner,
    ):
        runner.classify_files(inputs, writer)
    results, issues = [], []
    for name, body in files.items():
        kind = media[Path(name).suffix]
        if body:
            outcome = classify_input(knowledge_base, body, kind, source=name)
            results += outcome.results
            issues += outcome.issues
    in_memory = tmp_path / "in-memory.parquet"
    write_results_parquet(results, issues, in_memory, schemes)
    got, expected = pq.read_table(streamed).to_pylist(), pq.read_table(in_memory).to_pylist()
    empty = [row for row in got if row["errors"] and "empty input" in row["errors"][0]["message"]]
    assert len(empty) == 1 and empty[0]["patient_id"] is None
    got.remove(empty[0])
    assert got == expected
    assert {"T1", "T2", "PP01"} <= {row["patient_id"] for row in got}
    (bad_node,) = [row for row in got if row["patient_id"] == "T2"]
    assert bad_node["risk_group"] is None and bad_node["errors"]


class FailingTable(io.RawIOBase):
    """A table that fails after ``rows`` rows, as a disk or a network share can; notes the
    files in ``folder`` (name, size) when it fails."""

    def __init__(self, table: bytes, rows: int, error: BaseException, folder: Path) -> None:
        self.lines: Iterator[bytes] = iter(table.splitlines(keepends=True)[: rows + 1])
        self.error = error
        self.folder = folder
        self.pending = b""
        self.files_when_failing: list[tuple[str, int]] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self.pending:
            line = next(self.lines, None)
            if line is None:
                self.files_when_failing = [
                    (p.name, p.stat().st_size) for p in self.folder.iterdir()
                ]
                raise self.error
            self.pending = line
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


@contextmanager
def opened(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    yield stream


@pytest.mark.parametrize("error", [OSError("input/output error"), KeyboardInterrupt()])
def test_an_error_mid_run_leaves_the_target_alone_and_no_file_behind(
    knowledge_base: KnowledgeBase,
    schemes: Schemes,
    table: bytes,
    tmp_path: Path,
    error: BaseException,
) -> None:
    target = tmp_path / "results.parquet"
    target.write_bytes(b"before")
    failing = FailingTable(table, 500, error, tmp_path)
    inputs = [PatientFile(lambda: opened(io.BufferedReader(failing)), "text/csv", "cohort.csv")]
    with (
        pytest.raises(type(error)),
        open_binary_output(target) as sink,
        ParquetResults(sink, schemes, row_group_rows=50) as writer,
        # the workers, so that rows are written while the table is still being read
        CohortRunner(knowledge_base, workers=2, batch_size=60, parallel_from=120) as runner,
    ):
        runner.classify_files(inputs, writer)
    (temporary,) = [(n, size) for n, size in failing.files_when_failing if n != target.name]
    assert temporary[0].startswith(".") and temporary[1] > 0  # row groups were written
    assert target.read_bytes() == b"before"
    assert list(tmp_path.iterdir()) == [target]  # no partial or hidden temporary file
