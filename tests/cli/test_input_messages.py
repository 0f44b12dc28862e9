"""Messages for the files people really send: semicolon- and tab-separated tables, Latin-1
text, control characters in ids and values, and numbers written in forms a table should
not hold (``1e5``, full-width and Arabic-Indic digits, ``4_6``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from cli_runner import CliInvoke
from pedall.api import classify_input, validate_input
from pedall.cohort.runner import CohortRunner
from pedall.errors import InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.printable import printable
from pedall.patients.readers.parquet import cell_text
from pedall.toolkit import toolkit
from pedall.writers.results import render_issues, render_results

NUMBER_FORM = "expected a number (plain digits, '.' for decimals, e.g. 12.5)"
ESCAPE = "\x1b[31m"


@pytest.mark.parametrize(
    ("separator", "named"), [(";", "separated by ';'"), ("\t", "separated by tabs")]
)
def test_a_table_separated_otherwise_is_named_so(
    knowledge_base: KnowledgeBase, separator: str, named: str
) -> None:
    table = separator.join(("patient_id", "age_years", "lesions")) + "\n"
    table += separator.join(("P1", "5,5", "")) + "\n"
    with pytest.raises(InputFormatError) as raised:
        classify_input(knowledge_base, table.encode(), "text/csv", source="t.csv")
    message = str(raised.value)
    assert f"t.csv: line 1: this file seems to be {named} — pedall reads comma-separated" in message
    assert "'.' as the decimal mark" in message
    assert raised.value.line == 1


def test_the_separator_message_reaches_the_command_line(cli: CliInvoke, tmp_path: Path) -> None:
    table = tmp_path / "semicolons.csv"
    table.write_text("patient_id;age_years\nP1;5\n", encoding="utf-8")
    result = cli("validate", str(table), "--format", "json")
    assert result.exit_code == 1
    assert "this file seems to be separated by ';'" in result.stdout


def test_a_one_column_table_is_still_read(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(knowledge_base, b"patient_id\nP1\n", "text/csv")
    assert [r.patient_id for r in outcome.results] == ["P1"]


LATIN_1 = "patient_id,age_years,site\nP1,5,Seoul\nP2,6,Orléans\n".encode("latin-1")


def test_latin_1_names_the_line_and_suggests_utf8(knowledge_base: KnowledgeBase) -> None:
    with pytest.raises(InputFormatError) as raised:
        validate_input(knowledge_base, LATIN_1, "text/csv", source="t.csv")
    message = str(raised.value)
    assert message.startswith("t.csv: line 3: not UTF-8 text: byte 0xe9")
    assert "'é'" in message and "Latin-1 or Windows-1252" in message
    assert "save the file as UTF-8" in message
    assert raised.value.line == 3


def test_latin_1_in_a_streamed_table_names_its_line(knowledge_base: KnowledgeBase) -> None:
    """Streamed tables are decoded a chunk (8 KB) at a time, well ahead of the row being
    read: the line is counted from the chunk, not guessed from the row."""
    rows = "".join(f"P{number},5,Seoul\n" for number in range(2, 3000))
    table = ("patient_id,age_years,site\n" + rows).encode() + "P3000,6,Orléans\n".encode("latin-1")
    runner = CohortRunner(knowledge_base, progress=False)
    with runner, pytest.raises(InputFormatError) as raised:
        runner.validate(io.BytesIO(table), "big.csv")
    assert str(raised.value).startswith("big.csv: line 3000: not UTF-8 text: byte 0xe9")


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable(f"P1{ESCAPE}red\x07\r\nnext\u202eevil\x9b") == (
        "P1\\x1b[31mred\\x07\\x0d\\x0anext\\u202eevil\\x9b"
    )
    assert printable("Orléans 한국 ETV6::RUNX1") == "Orléans 한국 ETV6::RUNX1"


def test_control_characters_never_reach_the_terminal(knowledge_base: KnowledgeBase) -> None:
    table = f"patient_id,age_years,lesions\nP{ESCAPE}1,5,\nP2,{ESCAPE}x,\nP3,5,FOO{ESCAPE}\n"
    outcome = classify_input(knowledge_base, table.encode(), "text/csv")
    assert {issue.value for issue in outcome.errors} == {f"{ESCAPE}x", f"FOO{ESCAPE}"}
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_results(console, outcome.results, outcome.issues, toolkit(knowledge_base).schemes)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in shown
    assert "P\\x1b[31m1" in shown and "\\x1b[31mx" in shown
    report = validate_input(knowledge_base, table.encode(), "text/csv").as_text()
    assert "\x1b" not in report and "\\x1b[31mx" in report


def test_the_command_line_table_shows_escapes(cli: CliInvoke, tmp_path: Path) -> None:
    table = tmp_path / "escapes.csv"
    table.write_text(f"patient_id,age_years,lesions\nP{ESCAPE}1,5,\n", encoding="utf-8")
    for command in ("classify", "validate"):
        result = cli(command, str(table))
        assert "\x1b" not in result.stdout, command
    assert "P\\x1b[31m1" in cli("classify", str(table)).stdout


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("age_years", "1e5", NUMBER_FORM),
        ("age_years", "1E1", NUMBER_FORM),
        ("age_years", "\uff16\uff10", NUMBER_FORM),  # full-width digits
        ("age_years", "٦٠", NUMBER_FORM),  # Arabic-Indic digits
        ("age_years", "4_6", NUMBER_FORM),
        ("age_years", "inf", NUMBER_FORM),
        ("chromosome_count", "4_6", "expected a whole number"),
        ("chromosome_count", "٤٦", "expected a whole number"),
        ("chromosome_count", "\uff14\uff16", "expected a whole number"),
        (
            "wbc_per_ul",
            "12,000",
            NUMBER_FORM + ": remove the thousands separator (write 12000),"
            " or write 12.000 if ',' marks the decimals",
        ),
        (
            "wbc_per_ul",
            "1 234 567",
            NUMBER_FORM + ": remove the thousands separator (write 1234567)",
        ),
        ("wbc_per_ul", "1,234.5", NUMBER_FORM + ": remove the thousands separator (write 1234.5)"),
        ("age_years", "4,5", NUMBER_FORM + ": write the decimals with '.' (write 4.5)"),
        (
            "chromosome_count",
            "1,046",
            "expected a whole number: remove the thousands separator"
            " (write 1046), or write 1.046 if ',' marks the decimals",
        ),
        ("age_years", "12,34,5", NUMBER_FORM),  # not a grouping: no hint
    ],
)
def test_numbers_in_other_forms_are_refused(
    knowledge_base: KnowledgeBase, column: str, cell: str, expected: str
) -> None:
    table = f'patient_id,{column},lesions\nP1,"{cell}",\n'
    outcome = classify_input(knowledge_base, table.encode(), "text/csv", source="t.csv")
    assert outcome.results == []
    assert [(i.line, i.column, i.value, i.message) for i in outcome.errors] == [
        (2, column, cell, expected)
    ]


@pytest.mark.parametrize("cell", ["12.5", "5", ".5", "5.", "+5", " 7 "])
def test_plain_numbers_are_read(knowledge_base: KnowledgeBase, cell: str) -> None:
    table = f"patient_id,age_years,chromosome_count,lesions\nP1,{cell},+46,\n"
    outcome = classify_input(knowledge_base, table.encode(), "text/csv")
    assert outcome.errors == [] and len(outcome.results) == 1


def test_typed_parquet_numbers_become_plain_cells() -> None:
    """A small float is written positionally, as a table would hold it, not as 5e-05."""
    assert [cell_text(v) for v in (5e-05, 0.001, 1e-07, 12000.0)] == [
        "0.00005",
        "0.001",
        "0.0000001",
        "12000",
    ]


def test_issues_render_with_their_total_when_capped(knowledge_base: KnowledgeBase) -> None:
    from pedall.patients.input_limits import InputLimits

    table = "patient_id,age_years,lesions\n" + "".join(f"P{n},x,\n" for n in range(5))
    limits = InputLimits(max_issues=2)
    outcome = classify_input(knowledge_base, table.encode(), "text/csv", limits=limits)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_issues(console, outcome.issues)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Errors (5)" in shown and "... and 3 more, not shown" in shown
    assert isinstance(outcome.issues[0], PatientIssue)
