"""CSV output cannot carry a spreadsheet formula (OWASP, CSV injection): a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a CR gets a leading ``'``, in memory and streamed, in
``pedall classify --format csv``; numbers and a lone ``-`` stay as they are."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from pedall.api import classify_input
from pedall.cli.main import main
from pedall.cohort.runner import CohortRunner
from pedall.knowledge.base import KnowledgeBase
from pedall.toolkit import toolkit
from pedall.writers.csv_results import CsvResults
from pedall.writers.results import results_csv, spreadsheet_safe

# Patient ids and a pass-through column (its header too) that a spreadsheet would run.
HOSTILE_CSV = (
    'patient_id,age_years,immunophenotype,lesions,=HYPERLINK("http://x"),note\n'
    "=1+1,5,B,,@SUM(A1),\"=cmd|' /C calc'!A0\"\n"
    "+A2,5,B,,-2+3,-\n"
    '-A3,5,B,,"\tTAB","\rCR"\n'
    "@A4,5,B,,-0.5,plain\n"
)
EXPECTED_IDS = ["'=1+1", "'+A2", "'-A3", "'@A4"]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+A2", "'+A2"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-", "-"),
        ("", ""),
        ("A1", "A1"),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_safe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def check_table(text: str) -> None:
    table = rows(text)
    assert [row["patient_id"] for row in table] == EXPECTED_IDS
    header = next(csv.reader(io.StringIO(text)))
    assert '\'=HYPERLINK("http://x")' in header
    column = '\'=HYPERLINK("http://x")'
    assert [row[column] for row in table] == ["'@SUM(A1)", "'-2+3", "'\tTAB", "-0.5"]
    assert [row["note"] for row in table] == ["'=cmd|' /C calc'!A0", "-", "'\rCR", "plain"]
    for row in table:
        for cell in row.values():
            assert not cell.startswith(("=", "@", "\t", "\r")), cell


def test_results_csv_in_memory(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(knowledge_base, HOSTILE_CSV.encode(), "text/csv", source="h.csv")
    assert len(outcome.results) == 4, outcome.issues
    check_table(results_csv(outcome.results, toolkit(knowledge_base).schemes))


def test_streamed_csv(knowledge_base: KnowledgeBase) -> None:
    out = io.StringIO()
    writer = CsvResults(out, toolkit(knowledge_base).schemes)
    with CohortRunner(knowledge_base) as runner:
        summary = runner.classify(io.BytesIO(HOSTILE_CSV.encode()), "h.csv", writer)
    writer.finish(summary.issues)
    check_table(out.getvalue())


def test_cli_classify_format_csv() -> None:
    result = CliRunner().invoke(main, ["classify", "-", "--format", "csv"], input=HOSTILE_CSV)
    assert result.exit_code == 0, result.output
    check_table(result.stdout)
