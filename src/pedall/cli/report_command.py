"""``pedall report FILE... -o report.html``: the cohort report, one self-contained HTML file.

Each FILE is patient data (classified as ``pedall classify`` reads it) or Parquet results
(a file with the results columns of ``--format parquet``, or the folder Spark writes),
told apart by what the file holds. Exit status 1 when any row had errors (the report is
still written, with them in its data-quality section).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pedall import RESEARCH_NOTICE
from pedall.cli import options
from pedall.cli.options import data_files, data_root_option, emit
from pedall.cli.patient_commands import STDIN, patient_media_type, read_patient_file


@click.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=str),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the report to this file (mode 0600, replaced whole); default: stdout.",
)
@data_root_option
def report(files: tuple[str, ...], output: Path | None, data_root: Path | None) -> None:
    """Write the cohort report of FILE... as one HTML page that works offline: groups per
    scheme, group sizes beside the 10-year EFS of Fig. 1, what would decide the provisional
    patients, data-quality issues, and the patients with their criteria and sources.

    FILE is patient data (.csv, .parquet, .ttl, .jsonld/.json, .jsonl; - reads CSV from
    stdin) or Parquet results (pedall classify --format parquet, or Spark's results folder).
    Needs matplotlib: pip install 'pedall[report]'."""
    from pedall.api import classify_input
    from pedall.classify.schemes import read_schemes
    from pedall.cohort.report import cohort_report
    from pedall.cohort.report_data import ReportContent, is_results_file
    from pedall.errors import DataFileError, InputFormatError, PatientIssue

    kb = options.knowledge_base(data_files(data_root))
    schemes = read_schemes(kb.graph)
    kinds = {name: name != STDIN and is_results_file(Path(name), schemes) for name in files}
    media_types = {name: patient_media_type(name) for name in files if not kinds[name]}
    content = ReportContent.for_schemes(schemes)
    try:
        for name in files:
            source = "<stdin>" if name == STDIN else name
            try:
                if kinds[name]:
                    content.add_results_file(Path(name), source)
                else:
                    payload = read_patient_file(name)
                    content.add_classified(
                        source, classify_input(kb, payload, media_types[name], source=source)
                    )
            except InputFormatError as error:
                content.inputs.append(source)
                content.add_issues([PatientIssue(error.line, None, None, str(error), None, source)])
        html = cohort_report(kb, content)
    except (DataFileError, InputFormatError) as error:  # InputFormatError: no matplotlib
        raise click.ClickException(str(error)) from None
    emit(html, output)
    click.echo(RESEARCH_NOTICE, err=True)
    if content.summary.rows_with_errors:
        sys.exit(1)
