"""The ``pedall docs`` command: the ontology's HTML documentation (pyLODE) in a folder."""

from __future__ import annotations

from pathlib import Path

import click

from pedall.cli import options
from pedall.cli.options import data_files, data_root_option


@click.command()
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    required=True,
    help="Folder to write index.html to (created if missing; the page is replaced whole).",
)
@data_root_option
def docs(folder: Path, data_root: Path | None) -> None:
    """Write the ontology's HTML documentation (pyLODE: classes and properties of the
    ontology modules) to FOLDER/index.html, one page that loads nothing from the network.
    Needs pyLODE (pip install 'pedall[docs]')."""
    from pedall.errors import DataFileError
    from pedall.query.ontology_docs import render_ontology_docs

    try:
        documentation = render_ontology_docs(options.knowledge_base(data_files(data_root)))
    except (DataFileError, ModuleNotFoundError, OSError) as error:
        raise click.ClickException(str(error)) from None
    try:
        path = documentation.write(folder)
    except OSError as error:
        raise click.ClickException(f"cannot write to {folder}: {error}") from None
    click.echo(f"wrote {path}", err=True)
