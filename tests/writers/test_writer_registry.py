"""The writers registry: one table of output formats, from which ``pedall classify`` and
``pedall validate`` take their ``--format`` choices and through which every format is
written; a format registered there is usable by the CLI with no other change."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyarrow.parquet as pq
import pytest

from cli_runner import CliInvoke
from patient_rows import COMPLETE_PATIENT
from pedall.classify.result import Classification
from pedall.cli.patient_commands import classify, validate
from pedall.errors import BadRequestError, PatientIssue
from pedall.writers import registry
from pedall.writers.registry import (
    REPORTS,
    WRITERS,
    Render,
    Rendered,
    ResultFormat,
    WriterContext,
    report_format,
    report_format_names,
    result_format,
    result_format_names,
)

TABLE = "patient_id,age_years,immunophenotype,site\nA1,16,B,Seoul\nA2,5,T,Busan\nA3,-1,B,Jeju\n"
TURTLE = (
    "@prefix pedall: <https://w3id.org/pedall/> .\n"
    '<http://example.org/t1> a pedall:Patient ; pedall:patientId "T1" ; pedall:ageYears 12 .\n'
)


def format_choices(command: object, cli: CliInvoke) -> list[str]:
    """The ``--format`` values a command accepts, as its ``--help`` lists them."""
    name = "classify" if command is classify else "validate"
    help_text = cli(name, "--help").stdout
    metavar = help_text.split("--format [", 1)[1].split("]", 1)[0]
    return metavar.split("|")


def test_every_format_is_listed_once_and_offered_by_the_cli(cli: CliInvoke) -> None:
    assert len(set(result_format_names())) == len(WRITERS)
    assert len(set(report_format_names())) == len(REPORTS)
    assert format_choices(classify, cli) == result_format_names()
    assert format_choices(validate, cli) == report_format_names()
    for name in ("table", "json", "csv", "ttl", "parquet", "fhir"):
        assert result_format(name).name == name


@pytest.mark.parametrize("writer_format", WRITERS, ids=lambda writer: writer.name)
def test_each_format_writes_through_the_cli(
    cli: CliInvoke, tmp_path: Path, writer_format: ResultFormat
) -> None:
    table = tmp_path / "p.csv"
    table.write_text(TABLE)
    target = tmp_path / f"out.{writer_format.name}"
    result = cli("classify", str(table), "--format", writer_format.name, "-o", str(target))
    assert result.exit_code == 1, result.output  # A3's age is an error
    written = target.read_bytes()
    assert written.startswith(b"PAR1") if writer_format.binary else b"A1" in written


@pytest.mark.slow  # the reference engine
@pytest.mark.parametrize("writer_format", WRITERS, ids=lambda writer: writer.name)
def test_both_engines_write_the_same_bytes_through_one_writer(
    cli: CliInvoke, tmp_path: Path, writer_format: ResultFormat
) -> None:
    # A table with a row in error, a file that cannot be read, then the same table again:
    # its rows are written twice, each file in its place, whichever engine classified them.
    table = tmp_path / "p.csv"
    table.write_text(
        "patient_id,"
        + ",".join(COMPLETE_PATIENT)
        + "\nR1,"
        + ",".join(COMPLETE_PATIENT.values())
        + "\nR2,M,-5\n"
    )
    unreadable = tmp_path / "bad.csv"
    unreadable.write_text("no id column\n1\n")
    written = {}
    for engine in ("fast", "reference"):
        target = tmp_path / f"{engine}.out"
        files = [str(table), str(unreadable), str(table)]
        arguments = ["--format", writer_format.name, "--engine", engine, "-o", str(target)]
        assert cli("classify", *files, *arguments).exit_code == 1
        written[engine] = target.read_bytes()
    assert written["fast"] == written["reference"]
    if writer_format.name == "parquet":  # one row per input row, in input order
        rows = pq.read_table(tmp_path / "reference.out").to_pylist()
        assert [row["patient_id"] for row in rows] == ["R1", "R2", None, "R1", "R2"]


def test_an_unknown_format_is_a_clear_error(cli: CliInvoke) -> None:
    with pytest.raises(BadRequestError, match=r"'xlsx'; expected one of table, json, csv"):
        result_format("xlsx")
    with pytest.raises(BadRequestError, match=r"'csv'; expected one of text, json, ttl"):
        report_format("csv")
    result = cli("classify", "-", "--format", "xlsx", stdin=TABLE)
    assert result.exit_code == 2
    assert "'xlsx' is not one of 'table', 'json', 'csv'" in result.stderr


@dataclass
class CountedLines:
    """A toy writer: one line a result (as its renderer made it), then the issues' count."""

    out: IO[str]
    render: str = "toy"
    streams: bool = True
    extras: tuple[str, ...] = field(default=(), init=False)

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        self.extras = self.extras or tuple(extras)  # the first table's, as CSV
        return self.extras

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if rendered is not None:
            self.out.write(f"{rendered} {len(issues)}\n")

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        self.out.write(f"extras {','.join(self.extras)}; {len(issues)} issue(s)\n")


def _line(result: Classification, extras: tuple[str, ...]) -> str:
    return f"{result.patient_id}={result.outcome.risk_group}"


def renderer() -> Render:
    return _line


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[CountedLines]:
    return nullcontext(CountedLines(sink))


@pytest.fixture
def toy_format(monkeypatch: pytest.MonkeyPatch) -> ResultFormat:
    """The toy writer of this module, registered as ``--format toy``."""
    toy = ResultFormat("toy", __name__, "one line a patient")
    monkeypatch.setattr(registry, "WRITERS", (*registry.WRITERS, toy))
    return toy


@pytest.mark.parametrize("streams", [True, False])
def test_a_registered_writer_is_usable_by_the_cli_with_no_other_change(
    cli: CliInvoke,
    tmp_path: Path,
    toy_format: ResultFormat,
    monkeypatch: pytest.MonkeyPatch,
    streams: bool,
) -> None:
    # streaming: rendered as the rows are classified; else: every file classified whole
    def opened(sink: IO[str], context: WriterContext) -> nullcontext[CountedLines]:
        return nullcontext(CountedLines(sink, streams=streams))

    monkeypatch.setattr(sys.modules[__name__], "open_writer", opened)
    (tmp_path / "p.csv").write_text(TABLE)
    (tmp_path / "t.ttl").write_text(TURTLE)
    files = [str(tmp_path / "p.csv"), str(tmp_path / "t.ttl")]
    assert "toy" in format_choices(classify, cli)
    result = cli("classify", *files, "--format", "toy")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "A1=very-high 0",
        "A2=high 0",
        "T1=high 0",
        "extras site; 2 issue(s)",  # the error of A3, the header's warning
    ]
