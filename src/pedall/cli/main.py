"""The ``pedall`` command line: a thin adapter over the library API.

Exit status: 0 success; 1 the input had errors (valid parts are still processed and
printed); 2 usage errors (unknown option, unknown query name, SPARQL syntax error).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pedall import RESEARCH_NOTICE, __version__
from pedall.api import ClassifyOutcome, classify_input, read_input, validate_input
from pedall.classify.result import Classification
from pedall.classify.schemes import read_schemes
from pedall.cohort.runner import CohortRunner, CsvResults, JsonResults, PatientFile, open_output
from pedall.errors import DataFileError, InputFormatError, PatientIssue, QueryError
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.canonical import canonicalize as canonicalize_files
from pedall.knowledge.data_files import DataFiles
from pedall.patients.readers.csv_table import PatientRecord
from pedall.query.export import (
    EXPORT_FORMATS,
    export_graph,
    graph_statistics,
    serialize_graph,
    write_atomically,
)
from pedall.query.library import find_query, load_library
from pedall.query.sparql import (
    QueryResult,
    Term,
    binding_term,
    build_store,
    compact_term,
    run_query,
    serialize_result,
)
from pedall.toolkit import toolkit
from pedall.validate.outcome import ValidationOutcome
from pedall.writers.results import render_results, results_csv, results_turtle

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


# Media types of ``pedall query --format`` for SELECT/ASK results and for graphs.
QUERY_OUTPUT_MEDIA_TYPES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "csv": ("text/csv", None),
}


@main.command()
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
    files = data_files(data_root)
    try:
        if list_queries:
            _print_library(files)
            return
        if name_or_file is None:
            raise click.UsageError("give a query name or a .rq file (or --list)")
        bindings = _bindings(binds)
        library_query = find_query(name_or_file, files)
        store = build_store(KnowledgeBase(files).inferred)
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
    for library_query in load_library(files):
        click.echo(library_query.name)
        click.echo(f"    {library_query.summary}")


def _print_result_table(result: QueryResult, title: str) -> None:
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


@main.command()
@click.option(
    "--format",
    "export_format",
    type=click.Choice(sorted(EXPORT_FORMATS)),
    default="ttl",
    show_default=True,
    help="Turtle, JSON-LD (with an inline context), N-Triples or RDF/XML.",
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
    """Export the knowledge graph as linked data."""
    try:
        graph = export_graph(KnowledgeBase(data_files(data_root)), inferred=inferred)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    content = serialize_graph(graph, export_format)
    if output is None:
        click.echo(content, nl=False)
        return
    write_atomically(content, output)
    click.echo(f"wrote {len(graph)} triples to {output}", err=True)


@main.command()
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
    try:
        statistics = graph_statistics(KnowledgeBase(data_files(data_root)))
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


# Media types of patient input files, by extension; ``-`` (stdin) is read as CSV.
PATIENT_MEDIA_TYPES = {
    ".csv": "text/csv",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json": "application/ld+json",
}
STDIN = "-"

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
    def opener(name: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
        if name == STDIN:
            return lambda: contextlib.nullcontext(sys.stdin.buffer)
        return lambda: Path(name).open("rb")

    return [
        PatientFile(opener(name), media_type, "<stdin>" if name == STDIN else name)
        for name, media_type in zip(files, media_types, strict=True)
    ]


def _classify_streaming(
    kb: KnowledgeBase, files: list[PatientFile], output_format: str, output: Path | None
) -> None:
    """classify --format json/csv: large CSV tables streamed over the CPU cores, results
    written as produced (the same output as classifying in memory)."""
    try:
        with open_output(output) as out, CohortRunner(kb) as runner:
            writer = JsonResults(out) if output_format == "json" else CsvResults(out)
            issues = runner.classify_files(files, writer)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(RESEARCH_NOTICE, err=True)
    if any(issue.is_error for issue in issues):
        sys.exit(1)


def _validate_streaming(
    kb: KnowledgeBase, files: list[PatientFile], output_format: str, output: Path | None
) -> None:
    """validate --format text/json: large CSV tables checked in batches over the cores."""
    try:
        with CohortRunner(kb) as runner:
            issues = runner.validate_files(files)
    except DataFileError as error:
        raise click.ClickException(str(error)) from None
    _emit_validation(ValidationOutcome(issues, [], toolkit(kb).data_quality), output_format, output)


engine_option = click.option(
    "--engine",
    type=click.Choice(["fast", "reference"]),
    default="fast",
    show_default=True,
    help="fast: compiled from the shapes; reference: pyshacl with owlrl (slow, same results).",
)


def _emit_json(document: dict[str, object], output: Path | None) -> None:
    """A JSON result document, with the research-use notice, to stdout or ``output``."""
    document["notice"] = RESEARCH_NOTICE
    _emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)


def _emit_validation(outcome: ValidationOutcome, output_format: str, output: Path | None) -> None:
    if output_format == "text":
        _emit(outcome.as_text(), output)
    elif output_format == "json":
        _emit_json(outcome.as_json(), output)
    else:
        _emit(outcome.report_graph.serialize(format="turtle"), output)
        click.echo(RESEARCH_NOTICE, err=True)
    if not outcome.conforms:
        sys.exit(1)


def _emit(content: str, output: Path | None) -> None:
    if output is None:
        click.echo(content, nl=False)
    else:
        write_atomically(content.encode("utf-8"), output)


@main.command()
@patient_files_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "ttl"]),
    default="table",
    show_default=True,
    help="table (with the explanation) for a person; json, csv or ttl (RDF) for machines.",
)
@engine_option
@patient_output_option
@data_root_option
def classify(
    files: tuple[str, ...],
    output_format: str,
    engine: str,
    output: Path | None,
    data_root: Path | None,
) -> None:
    """Classify the patients in FILE... (.csv, .ttl, .jsonld/.json; - reads CSV from stdin)
    by CMCP-ALL2008 and NCI/Rome: risk group, possible groups, missing data, criteria.

    Exit status 1 when any row or node had errors; the valid ones are still classified."""
    media_types = [patient_media_type(name) for name in files]
    kb = KnowledgeBase(data_files(data_root))
    if engine == "fast" and output_format in ("json", "csv"):
        _classify_streaming(kb, _patient_files(files, media_types), output_format, output)
        return
    results: list[Classification] = []
    issues: list[PatientIssue] = []
    records: dict[tuple[str, str], PatientRecord] = {}
    for name, media_type in zip(files, media_types, strict=True):
        source = "<stdin>" if name == STDIN else name
        payload = read_patient_file(name)
        try:
            outcome = classify_input(kb, payload, media_type, source=source, engine=engine)
            if output_format == "ttl":
                read = read_input(kb, payload, media_type, source)
                records.update({(source, r.patient_id): r for r in read.records})
        except InputFormatError as error:
            issues.append(PatientIssue(error.line, None, None, str(error), None, source))
            continue
        except DataFileError as error:
            raise click.ClickException(str(error)) from None
        results += outcome.results
        issues += outcome.issues
    if output_format == "table":
        console = Console(file=io.StringIO(), width=140) if output else Console()
        render_results(console, results, issues)
        if output is not None:
            assert isinstance(console.file, io.StringIO)
            _emit(console.file.getvalue(), output)
    elif output_format == "json":
        _emit_json(ClassifyOutcome(results, issues).as_json(), output)
    elif output_format == "csv":
        _emit(results_csv(results), output)
    else:
        turtle = results_turtle(results, read_schemes(kb.graph), toolkit(kb).model, records)
        _emit(turtle, output)
    if output_format != "table":
        click.echo(RESEARCH_NOTICE, err=True)
    if any(issue.is_error for issue in issues):
        sys.exit(1)


@main.command()
@patient_files_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "ttl"]),
    default="text",
    show_default=True,
    help="text for a person (patient, field, value, what is wrong); json; ttl: the standard "
    "SHACL validation report graph (from pyshacl).",
)
@engine_option
@patient_output_option
@data_root_option
def validate(
    files: tuple[str, ...],
    output_format: str,
    engine: str,
    output: Path | None,
    data_root: Path | None,
) -> None:
    """Check the patients in FILE... (.csv, .ttl, .jsonld/.json; - reads CSV from stdin)
    against the data-quality shapes: every problem with its row, field, value and reason.

    Exit status 1 when any row or node had errors (warnings alone exit 0)."""
    media_types = [patient_media_type(name) for name in files]
    kb = KnowledgeBase(data_files(data_root))
    if engine == "fast" and output_format in ("text", "json"):
        _validate_streaming(kb, _patient_files(files, media_types), output_format, output)
        return
    issues: list[PatientIssue] = []
    records: list[PatientRecord] = []
    for name, media_type in zip(files, media_types, strict=True):
        source = "<stdin>" if name == STDIN else name
        try:
            outcome = validate_input(
                kb, read_patient_file(name), media_type, source=source, engine=engine
            )
        except InputFormatError as error:
            issues.append(PatientIssue(error.line, None, None, str(error), None, source))
            continue
        except DataFileError as error:
            raise click.ClickException(str(error)) from None
        issues += outcome.issues
        records += outcome.records
    _emit_validation(
        ValidationOutcome(issues, records, toolkit(kb).data_quality), output_format, output
    )


@main.command()
@data_root_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--query-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a SPARQL query may run before it is stopped (HTTP 503).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Query worker processes (queries that can run at once).",
)
@click.option(
    "--query-memory-mb",
    default=2048,
    show_default=True,
    type=click.IntRange(min=256),
    help="Memory each query worker may use; a query needing more gets HTTP 503.",
)
@click.option(
    "--max-body-bytes",
    default=5 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body accepted (HTTP 413 above).",
)
def serve(
    data_root: Path | None,
    host: str,
    port: int,
    query_timeout: float,
    workers: int,
    query_memory_mb: int,
    max_body_bytes: int,
) -> None:
    """Run the HTTP service: SPARQL endpoint, linked data, /classify, /validate and pages.

    Read-only; nothing posted is stored or logged. Access logs (one JSON line a request:
    method, path, status, duration) go to standard error.
    """
    import logging

    import uvicorn

    from pedall.service.access_log import ACCESS_LOGGER
    from pedall.service.app import create_app
    from pedall.service.settings import ServiceSettings

    settings = ServiceSettings(
        host=host,
        port=port,
        query_timeout=query_timeout,
        max_body_bytes=max_body_bytes,
        workers=workers,
        query_memory_bytes=query_memory_mb * 1024**2,
        data_root=data_root,
    )
    access = logging.getLogger(ACCESS_LOGGER)
    if not access.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    click.echo(f"pedall serving on http://{host}:{port}/ ({RESEARCH_NOTICE})", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="info")
