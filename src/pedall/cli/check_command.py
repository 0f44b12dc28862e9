"""The ``pedall check`` command: the curator's checks of the data files, as one exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pedall.cli.options import data_files, data_root_option


@click.command()
@data_root_option
def check(data_root: Path | None) -> None:
    """Check the data files: canonical form, conformance to shapes/knowledge-graph.ttl,
    every queries/qc/*-violation.rq and the query headers. Prints each failure and exits 1
    if there is any, 0 when all pass."""
    from pedall.query.checks import run_checks

    failures = run_checks(data_files(data_root))
    for failure in failures:
        click.echo(str(failure))
    if failures:
        click.echo(f"{len(failures)} check(s) failed", err=True)
        sys.exit(1)
    click.echo("all checks passed")
