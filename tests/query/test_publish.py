"""``pedall publish``: the knowledge graph and classified patients put into a real triple
store (an Oxigraph server on loopback, the ``oxigraph`` package) over the SPARQL 1.1 Graph
Store Protocol, then read back with SPARQL over HTTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query.export import export_graph
from pedall.query.publish import PublishError, credentials_from_environment, put_graph

OXIGRAPH = shutil.which("oxigraph") or str(
    Path(__file__).resolve().parents[2] / ".venv/bin/oxigraph"
)
PATIENTS_CSV = (
    "patient_id,age_years,wbc_per_ul,immunophenotype,cns_status,lesions,trial_site\n"
    "P1,4,12000,B,CNS1,,north\n"
    "P2,12,80000,B,CNS1,,south\n"
    "P3,abc,1000,B,CNS1,,east\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a fresh Oxigraph server (read-write) on a free loopback port."""
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise RuntimeError("oxigraph serve exited") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _select(base: str, query: str) -> list[dict[str, dict[str, str]]]:
    response = httpx.post(
        f"{base}/query",
        content=query,
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        timeout=30.0,
    )
    response.raise_for_status()
    rows: list[dict[str, dict[str, str]]] = response.json()["results"]["bindings"]
    return rows


def _count(base: str, graph: str) -> int:
    rows = _select(base, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"]["value"])


def test_publish_puts_the_knowledge_graph_into_the_ontology_graph(
    oxigraph_server: str, knowledge_base: KnowledgeBase
) -> None:
    result = CliRunner().invoke(main, ["publish", "--store", f"{oxigraph_server}/store"])
    assert result.exit_code == 0, result.output
    assert _count(oxigraph_server, ONTOLOGY_IRI) == len(export_graph(knowledge_base))
    rows = _select(
        oxigraph_server,
        f"SELECT ?type WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ <{ONTOLOGY_IRI}> a ?type }} }}",
    )
    assert {"type": {"type": "uri", "value": "http://www.w3.org/2002/07/owl#Ontology"}} in rows


def test_publish_inferred_replaces_the_graph_with_the_closure(
    oxigraph_server: str, knowledge_base: KnowledgeBase
) -> None:
    graph = "https://example.org/pedall-inferred"
    for args in ([], ["--inferred", "--format", "ttl"]):
        result = CliRunner().invoke(
            main, ["publish", "--store", f"{oxigraph_server}/store", "--graph", graph, *args]
        )
        assert result.exit_code == 0, result.output
    # PUT replaces: the count is the closure's, not asserted + closure.
    assert _count(oxigraph_server, graph) == len(export_graph(knowledge_base, inferred=True))
    assert _count(oxigraph_server, graph) > len(export_graph(knowledge_base))


def test_publish_patients_into_their_own_graph(oxigraph_server: str, tmp_path: Path) -> None:
    table = tmp_path / "cohort.csv"
    table.write_text(PATIENTS_CSV, encoding="utf-8")
    graph = "https://example.org/pedall-kg"
    result = CliRunner().invoke(
        main,
        [
            "publish",
            "--store",
            f"{oxigraph_server}/store",
            "--graph",
            graph,
            "--patients",
            str(table),
        ],
    )
    # P3 has a bad age: exit 1, located on stderr, the other patients still published.
    assert result.exit_code == 1, result.output
    assert "line 4" in result.output and "age_years" in result.output
    rows = _select(
        oxigraph_server,
        f"""PREFIX pedall: <https://w3id.org/pedall/>
        SELECT ?id WHERE {{ GRAPH <{graph}/patients> {{
            ?patient pedall:patientId ?id ; pedall:assignedRiskGroup ?group }} }}""",
    )
    assert {row["id"]["value"] for row in rows} == {"P1", "P2"}
    assert _count(oxigraph_server, graph) > 0


def test_publish_reports_a_store_that_cannot_be_reached() -> None:
    url = f"http://127.0.0.1:{_free_port()}/store"
    result = CliRunner().invoke(main, ["publish", "--store", url])
    assert result.exit_code == 1
    assert "cannot reach the store" in result.output


def test_publish_reports_a_refusal_with_its_status(oxigraph_server: str) -> None:
    with pytest.raises(PublishError, match="HTTP 4"):
        put_graph(
            f"{oxigraph_server}/store",
            "https://example.org/g",
            b"<not n-triples",
            "application/n-triples",
            triples=0,
        )


def test_credentials_come_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEDALL_STORE_USER", "curator")
    monkeypatch.setenv("PEDALL_STORE_PASSWORD", "s3cret")
    found = credentials_from_environment()
    assert found is not None and (found.user, found.password) == ("curator", "s3cret")
    assert "s3cret" not in repr(found)
    help_text = CliRunner().invoke(main, ["publish", "--help"]).output
    assert "--password" not in help_text and "--user" not in help_text
