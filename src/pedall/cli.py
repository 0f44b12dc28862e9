"""The ``pedall`` command line: a thin adapter over the library API.

Exit status: 0 success; 1 the input had errors (valid parts are still processed and
printed); 2 usage errors (unknown option, unknown query name, SPARQL syntax error).
"""

from __future__ import annotations

from pathlib import Path

import click

from pedall import __version__
from pedall.canonical import canonicalize as canonicalize_files
from pedall.resources import DataFiles

data_root_option = click.option(
    "--data-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder with ontology/, shapes/ and queries/ (default: the installed copy).",
)


def data_files(data_root: Path | None) -> DataFiles:
    return DataFiles(data_root) if data_root is not None else DataFiles.default()


@click.group()
@click.version_option(__version__, prog_name="pedall")
def main() -> None:
    """pedall: pediatric ALL knowledge graph. For research and education only; not for
    clinical decision-making."""


@main.command()
@data_root_option
def canonicalize(data_root: Path | None) -> None:
    """Rewrite the Turtle data files in canonical (longturtle) form."""
    for path in canonicalize_files(data_files(data_root)):
        click.echo(f"rewrote {path}")
