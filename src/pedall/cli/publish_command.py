"""The ``publish`` command: put the knowledge graph, and classified patients if asked, into
named graphs of a SPARQL 1.1 Graph Store Protocol endpoint.

Exit status 1 when the store cannot be reached or refuses a graph, or when a patient file
had errors (the valid patients are still published). Heavy libraries are imported inside.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pedall import RESEARCH_NOTICE
from pedall.cli import options
from pedall.cli.options import data_files, data_root_option

if TYPE_CHECKING:
    from rdflib import Graph

    from pedall.knowledge.base import KnowledgeBase

# pedall.namespaces.ONTOLOGY_IRI (a test keeps them equal), written out so that --help
# need not import rdflib.
ONTOLOGY_IRI = "https://w3id.org/pedall/ontology"


@click.command()
@click.option(
    "--store",
    required=True,
    metavar="URL",
    help="The Graph Store Protocol endpoint, e.g. http://localhost:7878/store (Oxigraph) "
    "or http://localhost:3030/ds/data (Fuseki). Credentials: PEDALL_STORE_USER and "
    "PEDALL_STORE_PASSWORD in the environment (HTTP basic auth).",
)
@click.option(
    "--graph",
    default=ONTOLOGY_IRI,
    show_default=True,
    metavar="IRI",
    help="The named graph the knowledge graph replaces.",
)
@click.option("--inferred", is_flag=True, help="Include the triples OWL RL inference adds.")
@click.option(
    "--patients",
    "patient_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=str),
    metavar="FILE",
    help="Classify the patients in FILE (repeatable) and put them, with their "
    "classification, into the patients graph.",
)
@click.option(
    "--patients-graph",
    default=None,
    metavar="IRI",
    help="The named graph of the patients (default: the --graph IRI followed by /patients).",
)
@click.option(
    "--format",
    "body_format",
    type=click.Choice(["nt", "ttl"]),
    default="nt",
    show_default=True,
    help="The body sent: N-Triples or Turtle.",
)
@data_root_option
def publish(
    store: str,
    graph: str,
    inferred: bool,
    patient_files: tuple[str, ...],
    patients_graph: str | None,
    body_format: str,
    data_root: Path | None,
) -> None:
    """Put the knowledge graph into a named graph of a triple store (SPARQL 1.1 Graph
    Store Protocol, HTTP PUT: the graph is replaced whole)."""
    from pedall.errors import DataFileError
    from pedall.query import export as exporter
    from pedall.query.publish import (
        PUBLISH_MEDIA_TYPES,
        PublishError,
        credentials_from_environment,
        put_graph,
    )

    credentials = credentials_from_environment()
    media_type = PUBLISH_MEDIA_TYPES[body_format]
    had_errors = False
    try:
        kb = options.knowledge_base(data_files(data_root))
        knowledge = exporter.export_graph(kb, inferred=inferred)
        put = put_graph(
            store,
            graph,
            exporter.serialize_graph(knowledge, body_format),
            media_type,
            triples=len(knowledge),
            credentials=credentials,
        )
        click.echo(f"put {put.triples} triples into <{put.graph}> (HTTP {put.status})", err=True)
        if patient_files:
            patients, had_errors = _patients_graph(kb, patient_files)
            target = patients_graph or graph.rstrip("/") + "/patients"
            put = put_graph(
                store,
                target,
                exporter.serialize_graph(patients, body_format),
                media_type,
                triples=len(patients),
                credentials=credentials,
            )
            click.echo(
                f"put {put.triples} patient triples into <{put.graph}> (HTTP {put.status})",
                err=True,
            )
    except (DataFileError, PublishError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(RESEARCH_NOTICE, err=True)
    if had_errors:
        sys.exit(1)


def _patients_graph(kb: KnowledgeBase, files: tuple[str, ...]) -> tuple[Graph, bool]:
    """The classified patients of ``files`` as one RDF graph (as ``classify --format ttl``
    writes them), and whether any file had errors (reported on stderr)."""
    from rdflib import Graph

    from pedall.api import classify_input, read_input
    from pedall.classify.schemes import read_schemes
    from pedall.cli.patient_commands import patient_media_type
    from pedall.errors import InputFormatError, PatientIssue
    from pedall.toolkit import toolkit
    from pedall.writers.results import results_graph, where

    graph = Graph()
    issues: list[PatientIssue] = []
    schemes = read_schemes(kb.graph)
    model = toolkit(kb).model
    for name in files:
        media_type = patient_media_type(name)
        payload = Path(name).read_bytes()
        try:
            outcome = classify_input(kb, payload, media_type, source=name)
            read = read_input(kb, payload, media_type, name)
        except InputFormatError as error:
            issues.append(PatientIssue(error.line, None, None, str(error), None, name))
            continue
        records = {(r.source, r.patient_id): r for r in read.records}
        graph += results_graph(outcome.results, schemes, model, records)
        issues += outcome.issues
    for issue in issues:
        kind = "error" if issue.is_error else "warning"
        place = ", ".join(part for part in (issue.source, where(issue), issue.column) if part)
        click.echo(f"{kind}: {place}: {issue.message}", err=True)
    return graph, any(issue.is_error for issue in issues)
