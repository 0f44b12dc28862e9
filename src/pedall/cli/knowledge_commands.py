"""The commands about the knowledge graph itself: ``query``, ``export``, ``info``, ``canonicalize``.

Heavy libraries are imported inside each command, so ``pedall --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pedall import RESEARCH_NOTICE, __version__
from pedall.cli import options
from pedall.cli.options import data_files, data_root_option

if TYPE_CHECKING:
    from pedall.knowledge.data_files import DataFiles
    from pedall.query.sparql import QueryResult, Term

# Media types of ``pedall query --format`` for SELECT/ASK results and for graphs.
QUERY_OUTPUT_MEDIA_TYPES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "csv": ("text/csv", None),
}
# The names of ``pedall.query.export.EXPORT_FORMATS`` (a test keeps them equal), written
# out so that ``--help`` need not import the exporter.
EXPORT_FORMAT_NAMES = ("jsonld", "nt", "ttl", "xml")
# Not linked data: the SKOS mappings as an SSSOM table (``pedall.query.sssom_tsv``).
SSSOM_FORMAT = "sssom"


@click.command()
@data_root_option
def canonicalize(data_root: Path | None) -> None:
    """Rewrite the Turtle data files in canonical (longturtle) form."""
    from pedall.knowledge.canonical import canonicalize as canonicalize_files

    for path in canonicalize_files(data_files(data_root)):
        click.echo(f"rewrote {path}")


@click.command()
@click.argument("name_or_file", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for a person; json (SPARQL JSON results, JSON-LD for graphs) or csv.",
)
@click.option(
    "--bind",
    "binds",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give the query variable NAME a value before it runs (an IRI, CURIE, number or "
    "text), e.g. --bind source=https://doi.org/10.3345/kjp.2017.60.5.129; repeatable.",
)
@click.option("--list", "list_queries", is_flag=True, help="List the library's queries.")
@data_root_option
def query(
    name_or_file: str | None,
    output_format: str,
    binds: tuple[str, ...],
    list_queries: bool,
    data_root: Path | None,
) -> None:
    """Run a library query by NAME (see --list) or the SPARQL query in FILE (.rq) on the
    knowledge graph with its inferred triples."""
    import pyoxigraph as ox

    from pedall.errors import DataFileError, QueryError
    from pedall.query.library import find_query
    from pedall.query.sparql import run_query, serialize_result

    files = data_files(data_root)
    try:
        if list_queries:
            _print_library(files)
            return
        if name_or_file is None:
            raise click.UsageError("give a query name or a .rq file (or --list)")
        bindings = _bindings(binds)
        library_query = find_query(name_or_file, files)
        store = ox.Store()  # the closure straight from the cache: no rdflib graph built
        store.bulk_load(options.knowledge_base(files).inferred_ntriples(), ox.RdfFormat.N_TRIPLES)
        result = run_query(store, library_query.text, bindings=bindings)
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    if output_format == "table":
        _print_result_table(result, library_query.summary)
        return
    results_type, graph_type = QUERY_OUTPUT_MEDIA_TYPES[output_format]
    media_type = graph_type if result.form.returns_graph else results_type
    if media_type is None:
        raise click.UsageError(f"--format {output_format} is for SELECT and ASK queries")
    click.echo(serialize_result(result, media_type), nl=False)
    click.echo(RESEARCH_NOTICE, err=True)


def _bindings(binds: tuple[str, ...]) -> dict[str, Term]:
    """The variable values of ``--bind NAME=VALUE`` options."""
    from pedall.query.sparql import binding_term

    bindings = {}
    for bind in binds:
        name, equals, value = bind.partition("=")
        if not equals:
            raise click.UsageError(f"--bind {bind!r}: expected NAME=VALUE")
        try:
            bindings[name.strip().lstrip("?$")] = binding_term(value.strip())
        except ValueError as error:  # pyoxigraph refuses a malformed IRI
            raise click.UsageError(f"--bind {bind!r}: {error}") from None
    return bindings


def _print_library(files: DataFiles) -> None:
    from pedall.query.library import load_library

    for library_query in load_library(files):
        click.echo(library_query.name)
        click.echo(f"    {library_query.summary}")


def _print_result_table(result: QueryResult, title: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pedall.query.sparql import compact_term

    console = Console()
    if result.boolean is not None:
        console.print(Text(f"{title}: {'yes' if result.boolean else 'no'}"))
    else:
        if result.form.returns_graph:
            columns: tuple[str, ...] = ("subject", "predicate", "object")
            rows: tuple[tuple[Term | None, ...], ...] = tuple(
                (triple.subject, triple.predicate, triple.object) for triple in result.triples
            )
        else:
            columns, rows = result.variables, result.rows
        table = Table(title=Text(title), caption=f"{len(rows)} rows")
        for column in columns:  # fold long values rather than cut them
            table.add_column(column, overflow="fold")
        for row in rows:  # Text: values are shown as they are, never read as rich markup
            table.add_row(*(Text(compact_term(term)) for term in row))
        console.print(table)
    console.print(RESEARCH_NOTICE, style="italic")


@click.command()
@click.option(
    "--format",
    "export_format",
    type=click.Choice((*EXPORT_FORMAT_NAMES, SSSOM_FORMAT)),
    default="ttl",
    show_default=True,
    help="Turtle, JSON-LD (with an inline context), N-Triples or RDF/XML; sssom: the SKOS "
    "mappings as an SSSOM/TSV mapping set.",
)
@click.option("--inferred", is_flag=True, help="Include the triples OWL RL inference adds.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to this file (replaced whole, never left partial); default: stdout.",
)
@data_root_option
def export(export_format: str, inferred: bool, output: Path | None, data_root: Path | None) -> None:
    """Export the knowledge graph as linked data, or its mappings as SSSOM."""
    from pedall.errors import DataFileError
    from pedall.query import export as exporter

    if export_format == SSSOM_FORMAT:
        if inferred:
            raise click.UsageError("--inferred does not apply to --format sssom")
        _export_sssom(output, data_root)
        return
    try:
        kb = options.knowledge_base(data_files(data_root))
        graph = exporter.export_graph(kb, inferred=inferred)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    content = exporter.serialize_graph(graph, export_format)
    if output is None:
        click.echo(content, nl=False)
        return
    exporter.write_atomically(content, output)
    click.echo(f"wrote {len(graph)} triples to {output}", err=True)


def _export_sssom(output: Path | None, data_root: Path | None) -> None:
    from pedall.errors import DataFileError
    from pedall.query.export import write_atomically
    from pedall.query.sssom_tsv import mapping_set

    try:
        mappings = mapping_set(options.knowledge_base(data_files(data_root)).graph)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    if output is None:
        click.echo(mappings.tsv(), nl=False)
        return
    write_atomically(mappings.tsv().encode("utf-8"), output)
    click.echo(f"wrote {len(mappings.mappings)} mappings to {output}", err=True)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@data_root_option
def info(output_format: str, data_root: Path | None) -> None:
    """Show the version, the ontology release, triple counts and terms by kind."""
    from rich.console import Console
    from rich.table import Table

    from pedall.errors import DataFileError
    from pedall.query.export import graph_statistics

    try:
        statistics = graph_statistics(options.knowledge_base(data_files(data_root)))
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    if output_format == "json":
        document = {"pedall_version": __version__, **asdict(statistics)}
        document["inferred_triples"] = statistics.inferred_triples
        json.dump(document, sys.stdout, indent=2)
        click.echo()
        return
    table = Table(title=f"pedall {__version__}", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("ontology", statistics.ontology_iri)
    table.add_row("version IRI", statistics.version_iri or "-")
    table.add_row("version", statistics.version_info or "-")
    table.add_row("asserted triples", str(statistics.asserted_triples))
    table.add_row("inferred triples", str(statistics.inferred_triples))
    table.add_row("with inference", str(statistics.triples_with_inferred))
    table.add_row("classes", str(statistics.classes))
    table.add_row("properties", str(statistics.properties))
    table.add_row("individuals", str(statistics.individuals))
    table.add_row("risk criteria", str(statistics.risk_criteria))
    table.add_row("evidence statements", str(statistics.evidence_statements))
    for kind, count in statistics.individuals_by_class.items():
        table.add_row(f"  {kind}", str(count))
    Console().print(table)
