"""What ``pedall classify --summary`` and ``--to-do COLUMN`` write: the cohort summary (for a
person, or as the ``summary`` object beside the JSON results) or one column's to-do list,
counted as the results stream (fast engine) or from results classified in memory.

Heavy libraries are imported inside the functions, as in the other command modules.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pedall import RESEARCH_NOTICE
from pedall.cli.options import emit, emit_json
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits

if TYPE_CHECKING:
    from rich.console import Console

    from pedall.classify.result import Classification
    from pedall.cohort.runner import PatientFile
    from pedall.cohort.summary import ClassificationSummary
    from pedall.cohort.to_do import ToDoList
    from pedall.errors import PatientIssue
    from pedall.knowledge.base import KnowledgeBase

SUMMARY_FORMATS = ("table", "json")
TO_DO_FORMATS = ("table", "json", "csv")


def check_tally_options(summary: bool, to_do: str | None, output_format: str) -> None:
    """UsageError when ``--summary`` or ``--to-do`` is given with a format it has no form in."""
    if summary and to_do is not None:
        raise click.UsageError("--summary and --to-do are two outputs: give one of them")
    if summary and output_format not in SUMMARY_FORMATS:
        raise click.UsageError(f"--summary is written as {' or '.join(SUMMARY_FORMATS)}")
    if to_do is not None and output_format not in TO_DO_FORMATS:
        raise click.UsageError(f"--to-do is written as {', '.join(TO_DO_FORMATS)}")


def check_to_do_column(kb: KnowledgeBase, column: str) -> None:
    """UsageError unless ``column`` is a column of the patient table that can be missing."""
    from pedall.patients.model import ID_COLUMN
    from pedall.toolkit import toolkit

    columns = [c for c in toolkit(kb).model.columns if c != ID_COLUMN]
    if column not in columns:
        raise click.UsageError(
            f"--to-do {column!r} is not a column of the patient table; expected one of "
            + ", ".join(columns)
        )


def tallied(
    kb: KnowledgeBase,
    files: list[PatientFile],
    output_format: str,
    output: Path | None,
    to_do: str | None,
    limits: InputLimits = DEFAULT_LIMITS,
    engine: str = "fast",
) -> None:
    """The summary or the to-do list of the files: counted as the fast engine streams
    them, or from the results of ``engine`` classifying each file whole."""
    if engine == "fast":
        _stream_tallied(kb, files, output_format, output, to_do, limits)
        return
    from pedall.cohort.whole_files import classify_whole
    from pedall.errors import DataFileError

    try:
        classified, issues = classify_whole(kb, files, engine, limits)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    results = [result for whole in classified for result in whole.results]
    _emit_tallied(kb, results, issues, output_format, output, to_do)


def _stream_tallied(
    kb: KnowledgeBase,
    files: list[PatientFile],
    output_format: str,
    output: Path | None,
    to_do: str | None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> None:
    """The summary or the to-do list of the files, counted as the fast engine streams them
    (with ``--format json --summary`` the results document is streamed too), read within
    ``limits``."""
    from pedall.classify.schemes import read_schemes
    from pedall.cohort.output_files import open_output
    from pedall.cohort.result_writers import IssueCounting, NoResults
    from pedall.cohort.runner import CohortRunner
    from pedall.cohort.summary import ClassificationSummary
    from pedall.cohort.to_do import ToDoList
    from pedall.errors import DataFileError
    from pedall.writers.registry import WriterContext, result_format

    summary = ClassificationSummary.for_schemes(read_schemes(kb.graph))
    try:
        if to_do is not None:
            to_do_list = ToDoList(to_do)
            with CohortRunner(kb, limits=limits) as runner:
                issues = runner.classify_files(files, NoResults(), to_do_list.add)
            _emit_to_do(to_do_list, issues, output_format, output)
        elif output_format == "json":
            context = WriterContext(kb, summary=summary)
            with (
                open_output(output) as out,
                result_format("json").open(out, context) as results,
                CohortRunner(kb, limits=limits) as runner,
            ):
                issues = runner.classify_files(files, IssueCounting(results, summary), summary.add)
            click.echo(RESEARCH_NOTICE, err=True)
        else:
            with CohortRunner(kb, limits=limits) as runner:
                writer = IssueCounting(NoResults(), summary)
                issues = runner.classify_files(files, writer, summary.add)
            _emit_summary_table(summary, output)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    _exit_on_errors(issues)


def _emit_tallied(
    kb: KnowledgeBase,
    results: Sequence[Classification],
    issues: Sequence[PatientIssue],
    output_format: str,
    output: Path | None,
    to_do: str | None,
) -> None:
    """The summary or the to-do list of results classified in memory (reference engine)."""
    from pedall.api import ClassifyOutcome
    from pedall.classify.schemes import read_schemes
    from pedall.cohort.summary import SummaryEntry, summarize
    from pedall.cohort.to_do import ToDoList

    if to_do is not None:
        to_do_list = ToDoList(to_do)
        for result in results:
            to_do_list.add(SummaryEntry.of(result))
        _emit_to_do(to_do_list, issues, output_format, output)
    else:
        summary = summarize(results, issues, read_schemes(kb.graph))
        if output_format == "json":
            document = ClassifyOutcome(list(results), list(issues)).as_json()
            emit_json({**document, "summary": summary.as_dict()}, output)
            click.echo(RESEARCH_NOTICE, err=True)
        else:
            _emit_summary_table(summary, output)
    _exit_on_errors(issues)


def _print_for_a_person(draw: Callable[[Console], None], output: Path | None) -> None:
    """What ``draw`` prints, on the terminal or into ``output`` (140 columns wide)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=140) if output else Console()
    draw(console)
    if output is not None:
        assert isinstance(console.file, io.StringIO)
        emit(console.file.getvalue(), output)


def _emit_summary_table(summary: ClassificationSummary, output: Path | None) -> None:
    from rich.text import Text

    from pedall.cohort.summary import render_summary

    def draw(console: Console) -> None:
        render_summary(console, summary)
        console.print(Text(RESEARCH_NOTICE, style="italic"))

    _print_for_a_person(draw, output)


def _emit_to_do(
    to_do_list: ToDoList, issues: Sequence[PatientIssue], output_format: str, output: Path | None
) -> None:
    from pedall.errors import errors_in, warnings_in

    if output_format == "table":
        _print_for_a_person(lambda console: to_do_list.render(console, issues), output)
        return
    if output_format == "json":
        document = {
            **to_do_list.as_json(),
            "errors": [issue.as_dict() for issue in errors_in(issues)],
            "warnings": [issue.as_dict() for issue in warnings_in(issues)],
        }
        emit_json(document, output)
    else:
        emit(to_do_list.as_csv(), output)
    click.echo(RESEARCH_NOTICE, err=True)


def _exit_on_errors(issues: Sequence[PatientIssue]) -> None:
    if any(issue.is_error for issue in issues):
        sys.exit(1)
