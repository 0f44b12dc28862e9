"""The commands about patients: ``classify`` and ``validate`` (files, stdin, streaming).

Exit status 1 when the input had errors (valid parts are still processed and printed).
Heavy libraries are imported inside each command, so ``pedall --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from pedall import RESEARCH_NOTICE
from pedall.cli import options
from pedall.cli.limit_options import input_limit_options
from pedall.cli.options import RegistryChoice, data_files, data_root_option, emit, engine_option
from pedall.writers.registry import (
    REPORTS,
    WRITERS,
    ReportFormat,
    ResultFormat,
    formats_help,
    report_format,
    report_format_names,
    result_format,
    result_format_names,
)

if TYPE_CHECKING:
    from pedall.cohort.runner import PatientFile
    from pedall.errors import PatientIssue
    from pedall.knowledge.base import KnowledgeBase
    from pedall.patients.input_limits import InputLimits
    from pedall.patients.readers.csv_table import PatientRecord
    from pedall.validate.custom_shapes import RegistryShapes
    from pedall.validate.outcome import ValidationOutcome
    from pedall.validate.shapes_data import DataInput

# Media types of patient input files, by extension; ``-`` (stdin) is read as CSV.
PATIENT_MEDIA_TYPES = {
    ".csv": "text/csv",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json": "application/ld+json",
    ".jsonl": "application/x-phenopacket+json",
    ".parquet": "application/vnd.apache.parquet",
}
STDIN = "-"
PERSON_WIDTH = 140  # columns of output for a person written to a file

patient_files_argument = click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str),
)
patient_output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the result to this file (replaced whole, never left partial); default: stdout.",
)


def patient_media_type(name: str) -> str:
    """The media type of a patient input file, from its extension (UsageError if unknown)."""
    if name == STDIN:
        return "text/csv"
    media_type = PATIENT_MEDIA_TYPES.get(Path(name).suffix.lower())
    if media_type is None:
        raise click.UsageError(
            f"{name}: unknown input format; expected {', '.join(PATIENT_MEDIA_TYPES)} or - (CSV)"
        )
    return media_type


def read_patient_file(name: str) -> bytes:
    if name == STDIN:
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def _patient_files(files: tuple[str, ...], media_types: list[str]) -> list[PatientFile]:
    from pedall.cohort.runner import PatientFile

    def opener(name: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
        if name == STDIN:
            return lambda: contextlib.nullcontext(sys.stdin.buffer)
        return lambda: Path(name).open("rb")

    return [
        PatientFile(opener(name), media_type, "<stdin>" if name == STDIN else name)
        for name, media_type in zip(files, media_types, strict=True)
    ]


def _validate_streaming(
    kb: KnowledgeBase,
    files: list[PatientFile],
    report: ReportFormat,
    output: Path | None,
    limits: InputLimits,
) -> None:
    """validate with a report of the issues only (no records): large CSV tables checked
    in batches over the cores."""
    from pedall.cohort.runner import CohortRunner
    from pedall.errors import DataFileError
    from pedall.toolkit import toolkit
    from pedall.validate.outcome import ValidationOutcome

    try:
        with CohortRunner(kb, limits=limits) as runner:
            issues = runner.validate_files(files)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    _emit_validation(ValidationOutcome(issues, [], toolkit(kb).data_quality), report, output)


def _emit_validation(outcome: ValidationOutcome, report: ReportFormat, output: Path | None) -> None:
    emit(report.write(outcome), output)
    if report.notice_on_stderr:
        click.echo(RESEARCH_NOTICE, err=True)
    if not outcome.conforms:
        sys.exit(1)


@click.command()
@patient_files_argument
@click.option(
    "--format",
    "output_format",
    type=RegistryChoice(result_format_names),
    default="table",
    show_default=True,
    help=formats_help(WRITERS),
)
@click.option(
    "--summary",
    is_flag=True,
    help="The cohort summary: patients per group of each scheme, provisional, rows with "
    "errors, what each column would settle (table: instead of the results; json: a "
    "'summary' object beside them).",
)
@click.option(
    "--to-do",
    "to_do",
    metavar="COLUMN",
    default=None,
    help="List the provisional patients whose answer for COLUMN would decide (table, "
    "json or csv), instead of the results.",
)
@engine_option
@patient_output_option
@data_root_option
@input_limit_options
def classify(
    files: tuple[str, ...],
    output_format: str,
    summary: bool,
    to_do: str | None,
    engine: str,
    output: Path | None,
    data_root: Path | None,
    limits: InputLimits,
) -> None:
    """Classify the patients in FILE... (.csv, .parquet, .ttl, .jsonld/.json; - reads CSV
    from stdin)
    by CMCP-ALL2008 and NCI/Rome: risk group, possible groups, missing data, criteria.
    Phenopackets v2 are read from .json (by content) and .jsonl; --format fhir writes a
    FHIR R4 Bundle of mCODE ALL risk-assessment Observations.

    Exit status 1 when any row or node had errors; the valid ones are still classified."""
    from pedall.cli import cohort_outputs

    writer_format = result_format(output_format)
    media_types = [patient_media_type(name) for name in files]
    if writer_format.binary and output is None:
        raise click.UsageError(
            f"--format {output_format} writes a file: give -o OUT.{output_format}"
        )
    cohort_outputs.check_tally_options(summary, to_do, output_format)
    kb = options.knowledge_base(data_files(data_root))
    patient_files = _patient_files(files, media_types)
    if summary or to_do is not None:
        if to_do is not None:
            cohort_outputs.check_to_do_column(kb, to_do)
        cohort_outputs.tallied(kb, patient_files, output_format, output, to_do, limits, engine)
        return
    _write_results(kb, patient_files, writer_format, output, limits, engine)


def _write_results(
    kb: KnowledgeBase,
    files: list[PatientFile],
    writer_format: ResultFormat,
    output: Path | None,
    limits: InputLimits,
    engine: str,
) -> None:
    """The results of every file through the writer of ``writer_format``: streamed by
    the fast engine when the writer streams, else classified whole first; the same path
    for every format."""
    from pedall.cohort.output_files import open_sink
    from pedall.cohort.runner import CohortRunner
    from pedall.errors import CohortWorkerError, DataFileError, InputFormatError
    from pedall.writers.registry import WriterContext

    context = WriterContext(kb, width=None if output is None else PERSON_WIDTH)
    try:
        with (
            open_sink(output, binary=writer_format.binary) as sink,
            writer_format.open(sink, context) as writer,
            CohortRunner(kb, limits=limits) as runner,
        ):
            issues = runner.classify_files(files, writer, engine=engine)
    except (DataFileError, CohortWorkerError) as error:
        raise click.ClickException(str(error)) from None
    except InputFormatError as error:  # the writer's optional library is not installed
        raise click.ClickException(str(error)) from None
    if writer_format.notice_on_stderr:
        click.echo(RESEARCH_NOTICE, err=True)
    if any(issue.is_error for issue in issues):
        sys.exit(1)


@click.command()
@patient_files_argument
@click.option(
    "--format",
    "output_format",
    type=RegistryChoice(report_format_names),
    default="text",
    show_default=True,
    help=formats_help(REPORTS),
)
@click.option(
    "--shapes",
    "shapes_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Turtle file of your own SHACL shapes (core, SPARQL, SHACL-AF) to check too, "
    "with the ontology and its inferences in view (repeatable; shapes that reach out, "
    "such as SPARQL SERVICE or owl:imports, are refused).",
)
@engine_option
@patient_output_option
@data_root_option
@input_limit_options
def validate(
    files: tuple[str, ...],
    output_format: str,
    shapes_files: tuple[Path, ...],
    engine: str,
    output: Path | None,
    data_root: Path | None,
    limits: InputLimits,
) -> None:
    """Check the patients in FILE... (.csv, .ttl, .jsonld/.json; - reads CSV from stdin)
    against the data-quality shapes: every problem with its row, field, value and reason.

    Exit status 1 when any row or node had errors (warnings alone exit 0)."""
    from pedall.api import validate_input
    from pedall.errors import CappedIssues, DataFileError, InputFormatError, PatientIssue
    from pedall.toolkit import toolkit
    from pedall.validate.outcome import ValidationOutcome
    from pedall.validate.shapes_data import DataInput

    report = report_format(output_format)
    media_types = [patient_media_type(name) for name in files]
    registry = _registry_shapes(shapes_files)  # refused shapes stop here, before any run
    kb = options.knowledge_base(data_files(data_root))
    if engine == "fast" and not report.reads_records and registry is None:
        _validate_streaming(kb, _patient_files(files, media_types), report, output, limits)
        return
    issues: list[PatientIssue] = CappedIssues(limits.max_issues)
    records: list[PatientRecord] = []
    inputs: list[DataInput] = []
    for name, media_type in zip(files, media_types, strict=True):
        source = "<stdin>" if name == STDIN else name
        payload = read_patient_file(name)
        try:
            outcome = validate_input(
                kb, payload, media_type, source=source, engine=engine, limits=limits
            )
        except InputFormatError as error:
            issues.append(PatientIssue(error.line, None, None, str(error), None, source))
            continue
        except DataFileError as error:
            raise click.ClickException(str(error)) from None
        issues += outcome.issues
        records += outcome.records
        inputs.append(DataInput(payload, media_type, source, outcome.records))
    validation = ValidationOutcome(issues, records, toolkit(kb).data_quality)
    if registry is not None:
        validation = _with_registry_shapes(registry, validation, inputs, kb)
    _emit_validation(validation, report, output)


def _registry_shapes(paths: tuple[Path, ...]) -> RegistryShapes | None:
    """The ``--shapes`` files, checked (a usage error, exit 2, when malformed or refused)."""
    if not paths:
        return None
    from pedall.errors import ShapesError
    from pedall.validate.custom_shapes import RegistryShapes

    try:
        return RegistryShapes.from_files(paths)
    except ShapesError as error:
        raise click.UsageError(str(error)) from None


def _with_registry_shapes(
    registry: RegistryShapes,
    validation: ValidationOutcome,
    inputs: list[DataInput],
    kb: KnowledgeBase,
) -> ValidationOutcome:
    """``validation`` with the registry's shapes' issues added (run on every input)."""
    from pedall.errors import DataFileError, ShapesError
    from pedall.toolkit import toolkit

    try:
        return registry.added_to(validation, inputs, toolkit(kb))
    except ShapesError as error:
        raise click.UsageError(str(error)) from None
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
