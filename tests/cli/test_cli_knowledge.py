"""The knowledge commands of the CLI: query, export and info (click's CliRunner)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph

from cli_runner import CliInvoke
from pedall import RESEARCH_NOTICE, __version__
from pedall.cli.main import main
from pedall.cli.options import GlobalOptions
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import ONTOLOGY_IRI

ParseRdf = Callable[[bytes, pyoxigraph.RdfFormat], Graph]

MINI_ONTOLOGY = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix pedall: <https://w3id.org/pedall/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
pedall:ontology a owl:Ontology ; owl:versionInfo "test" .
pedall:RiskCriterion a owl:Class .
pedall:AgeCriterion a owl:Class ; rdfs:subClassOf pedall:RiskCriterion .
pedall:age-criterion a owl:NamedIndividual , pedall:AgeCriterion .
"""


def test_query_prints_a_table_with_the_notice(cli: CliInvoke) -> None:
    result = cli("query", "efs-by-risk-group")
    assert result.exit_code == 0, result.output
    assert "10-year event-free survival by risk group" in result.stdout
    assert "91.2" in result.stdout
    assert "59.4" in result.stdout
    assert RESEARCH_NOTICE in result.stdout.replace("\n", " ")


def test_query_json_is_sparql_results_and_the_notice_goes_to_stderr(
    cli: CliInvoke,
) -> None:
    result = cli("query", "efs-by-risk-group", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    values = [binding["efsPercent"]["value"] for binding in document["results"]["bindings"]]
    assert values == ["91.2", "98.1", "81.5", "59.4"]
    assert RESEARCH_NOTICE in result.stderr


def test_query_csv(cli: CliInvoke) -> None:
    result = cli("query", "hct-indications", "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 4
    assert {row["indication"] for row in table} >= {"https://w3id.org/pedall/subgroup-Ph-positive"}


def test_query_a_file_of_ones_own(cli: CliInvoke, tmp_path: Path) -> None:
    path = tmp_path / "imatinib.rq"
    path.write_text("ASK { ?lesion rdfs:label 'BCR::ABL1'@en }", encoding="utf-8")
    result = cli("query", str(path))
    assert result.exit_code == 0, result.output
    assert "imatinib: yes" in result.stdout


def test_table_cells_are_not_read_as_markup(cli: CliInvoke, tmp_path: Path) -> None:
    path = tmp_path / "markup.rq"
    path.write_text('SELECT ?text WHERE { BIND("[red]alarm[/red]" AS ?text) }', encoding="utf-8")
    result = cli("query", str(path))
    assert result.exit_code == 0, result.output
    assert "[red]alarm[/red]" in result.stdout


def test_query_a_construct_file(cli: CliInvoke, tmp_path: Path, parse_rdf: ParseRdf) -> None:
    path = tmp_path / "labels.rq"
    path.write_text(
        "CONSTRUCT { ?x rdfs:label ?label }\n"
        "WHERE { VALUES ?x { pedall:BCR-ABL1 } ?x rdfs:label ?label }",
        encoding="utf-8",
    )
    result = cli("query", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    graph = parse_rdf(result.stdout_bytes, pyoxigraph.RdfFormat.JSON_LD)
    assert {str(label) for label in graph.objects()} == {"BCR::ABL1"}
    assert cli("query", str(path), "--format", "csv").exit_code == 2
    table = cli("query", str(path))
    assert "pedall:BCR-ABL1" in table.stdout


def test_query_with_a_bound_variable(cli: CliInvoke) -> None:
    result = cli("query", "lesion-synonyms", "--bind", "lesion=pedall:TCF3-PBX1", "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["label"] for row in table] == ["TCF3::PBX1"]
    assert "E2A-PBX1" in table[0]["synonyms"]


@pytest.mark.parametrize(
    ("bind", "message"), [("lesion", "expected NAME=VALUE"), ("a b=1", "not a SPARQL variable")]
)
def test_bad_bind_exits_with_status_2(cli: CliInvoke, bind: str, message: str) -> None:
    result = cli("query", "lesion-synonyms", "--bind", bind)
    assert result.exit_code == 2
    assert message in result.stderr


def test_query_list_names_every_library_query(cli: CliInvoke) -> None:
    result = cli("query", "--list")
    assert result.exit_code == 0, result.output
    listed = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert listed == [path.stem for path in DataFiles.default().query_files()]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * WHERE { ?s ?p }", "SPARQL syntax error"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE is refused"),
        ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    ],
)
def test_bad_queries_exit_with_status_2(
    cli: CliInvoke, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.rq"
    path.write_text(text, encoding="utf-8")
    result = cli("query", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_query_name_exits_with_status_2_and_suggests(cli: CliInvoke) -> None:
    result = cli("query", "efs-by-risk-grup")
    assert result.exit_code == 2
    assert "did you mean efs-by-risk-group" in result.stderr


def test_query_needs_a_name(cli: CliInvoke) -> None:
    result = cli("query")
    assert result.exit_code == 2
    assert "give a query name" in result.stderr


@pytest.mark.slow  # serializes the whole graph
@pytest.mark.parametrize(
    ("format_name", "rdf_format"),
    [
        ("ttl", pyoxigraph.RdfFormat.TURTLE),
        ("jsonld", pyoxigraph.RdfFormat.JSON_LD),
        ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
        ("xml", pyoxigraph.RdfFormat.RDF_XML),
    ],
)
def test_export_to_stdout(
    cli: CliInvoke,
    knowledge_base: KnowledgeBase,
    parse_rdf: ParseRdf,
    same_triples: Callable[[Graph, Graph], bool],
    format_name: str,
    rdf_format: pyoxigraph.RdfFormat,
) -> None:
    result = cli("export", "--format", format_name)
    assert result.exit_code == 0, result.output
    assert same_triples(parse_rdf(result.stdout_bytes, rdf_format), knowledge_base.graph)


@pytest.mark.slow  # serializes the whole closure
def test_export_inferred_to_a_file(
    cli: CliInvoke,
    knowledge_base: KnowledgeBase,
    tmp_path: Path,
    parse_rdf: ParseRdf,
) -> None:
    path = tmp_path / "pedall.nt"
    result = cli("export", "--format", "nt", "--inferred", "-o", str(path))
    assert result.exit_code == 0, result.output
    exported = set(parse_rdf(path.read_bytes(), pyoxigraph.RdfFormat.N_TRIPLES))
    added = set(knowledge_base.inferred) - set(knowledge_base.graph)
    assert len(exported) > len(knowledge_base.graph)
    assert {triple for triple in added if triple in exported}
    assert f"to {path}" in result.stderr


def test_failed_export_leaves_no_file(
    cli: CliInvoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(graph: Graph, format_name: str) -> bytes:
        raise RuntimeError("serializer failed")

    monkeypatch.setattr("pedall.query.export.serialize_graph", broken)
    path = tmp_path / "pedall.ttl"
    result = cli("export", "-o", str(path))
    assert isinstance(result.exception, RuntimeError)
    assert list(tmp_path.iterdir()) == []


def test_info(cli: CliInvoke) -> None:
    result = cli("info")
    assert result.exit_code == 0, result.output
    for text in (__version__, ONTOLOGY_IRI, "asserted triples", "risk criteria", "pedall:Gene"):
        assert text in result.stdout


def test_info_json(cli: CliInvoke, make_data_root: Callable[[dict[str, str]], Path]) -> None:
    root = make_data_root({"mini.ttl": MINI_ONTOLOGY})
    result = cli("info", "--format", "json", "--data-root", str(root))
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["pedall_version"] == __version__
    assert (info["ontology_iri"], info["version_info"]) == (ONTOLOGY_IRI, "test")
    assert info["inferred_triples"] == info["triples_with_inferred"] - info["asserted_triples"]
    assert info["risk_criteria"] == 1


def test_the_console_script_loads() -> None:
    (script,) = [point for point in entry_points(group="console_scripts") if point.name == "pedall"]
    assert script.load() is main


def test_an_injected_knowledge_base_is_the_one_every_command_opens(
    knowledge_base: KnowledgeBase,
) -> None:
    opened: list[DataFiles] = []

    def provider(files: DataFiles) -> KnowledgeBase:
        opened.append(files)
        return knowledge_base

    injected = GlobalOptions(knowledge=provider)
    result = CliRunner().invoke(main, ["--no-cache", "query", "efs-by-risk-group"], obj=injected)
    assert result.exit_code == 0, result.output
    assert opened == [knowledge_base.files]  # --no-cache given before it does not drop it
