"""A registry's own SHACL shapes: ``pedall validate --shapes`` and ``POST /shacl`` find
the errors of a SHACL core and a SHACL-SPARQL constraint in located form, see the
ontology's inferences, and refuse shapes that reach out (a live listener on loopback sees
no connection)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal
from rdflib.namespace import SH

from connection_listener import Listener
from pedall import RESEARCH_NOTICE
from pedall.cli import options
from pedall.cli.main import main
from pedall.errors import RefusedShapesError, ShapesSyntaxError
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PATIENT, PEDALL
from pedall.service.app import create_app
from pedall.service.settings import ServiceSettings
from pedall.toolkit import toolkit
from pedall.validate.custom_shapes import RegistryShapes
from pedall.validate.shapes_data import DataInput, shapes_data

Invoke = Callable[..., Result]
REGISTRY_SHAPES = DataFiles.default().root / "examples" / "registry-shapes.ttl"
# A: KMT2A::AFF1 without its central review, MRD without remission; B: a site not on the
# list; C: everything the registry asks (MLL-AF4 is KMT2A::AFF1 too); D: no site; E: a
# cell pedall cannot read (pedall's own error; the row never reaches the shapes).
REGISTRY_TABLE = (
    "patient_id,age_years,mrd_eoi_percent,cr_after_induction,lesions,site,central_review\n"
    "A,5,0.1,,KMT2A-AFF1,Seoul,\n"
    "B,4,,,,Paris,\n"
    "C,3,0.01,true,MLL-AF4,Busan,R-1\n"
    "D,6,,,,,\n"
    "E,seven,,,,Seoul,\n"
)
COLUMN_PREFIX = "@prefix column: <https://w3id.org/pedall/column/> .\n"
# The same registry's patients as RDF, validated as sent (lesions as typed nodes).
REGISTRY_GRAPH = (
    "@prefix pedall: <https://w3id.org/pedall/> .\n"
    + COLUMN_PREFIX
    + "<https://registry.example.org/patient/T1> a pedall:Patient ; "
    'pedall:patientId "T1" ; column:site "Lyon" ; pedall:hasLesion [ a pedall:KMT2A-AFF1 ] .\n'
    '<https://registry.example.org/patient/T2> a pedall:Patient ; pedall:patientId "T2" ; '
    'column:site "Daegu" .\n'
)
URL = "http://127.0.0.1:{port}/"
PREFIXES = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "@prefix pedall: <https://w3id.org/pedall/> .\n"
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix ex: <https://registry.example.org/shapes/> .\n"
)


def sparql_constraint(query: str) -> str:
    return (
        "ex:S a sh:NodeShape ; sh:targetClass pedall:Patient ; "
        f'sh:sparql [ sh:message "m" ; sh:select """{query}""" ] .\n'
    )


# Shapes that would make pyshacl (rdflib) open a connection, or load a graph.
REFUSED = {
    "service in a constraint": sparql_constraint(
        "SELECT $this WHERE { SERVICE <URL> { $this ?p ?o } }"
    ),
    "service after a comment ended by a bare CR": sparql_constraint(
        "SELECT $this WHERE { # a note\\rSERVICE <URL> { $this ?p ?o } }"
    ),
    "service spelled with a codepoint escape": sparql_constraint(
        "SELECT $this WHERE { SERV\\\\u0049CE <URL> { $this ?p ?o } }"
    ),
    "service in lower case": sparql_constraint(
        "SELECT $this WHERE { service <URL> { $this ?p ?o } }"
    ),
    "from": sparql_constraint("SELECT $this FROM <URL> WHERE { $this ?p ?o }"),
    "from named": sparql_constraint("SELECT $this FROM NAMED <URL> WHERE { $this ?p ?o }"),
    "load": sparql_constraint("LOAD <URL>"),
    "service in a SPARQL target": (
        "ex:S a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; "
        'sh:select "SELECT ?this WHERE { SERVICE <URL> { ?this ?p ?o } }" ] ; '
        "sh:property [ sh:path pedall:ageYears ; sh:minCount 1 ] .\n"
    ),
    "service in a SPARQL-based constraint component": (
        "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:flag ] ; "
        'sh:validator [ a sh:SPARQLAskValidator ; sh:ask "ASK { SERVICE <URL> { ?s ?p ?o } }" ] .\n'
        "ex:S a sh:NodeShape ; sh:targetClass pedall:Patient ; ex:flag true .\n"
    ),
    "service in a rule": (
        "ex:S a sh:NodeShape ; sh:targetClass pedall:Patient ; sh:rule [ a sh:SPARQLRule ; "
        'sh:construct "CONSTRUCT { $this ex:x 1 } WHERE { SERVICE <URL> { ?s ?p ?o } }" ] .\n'
    ),
    "a prefix declaration pasted into the query": (
        "ex:P sh:declare [ sh:prefix 'x' ; sh:namespace 'http://a/> SERVICE <URL' ] .\n"
        + sparql_constraint("SELECT $this WHERE { $this ?p ?o }")
    ),
    "owl:imports": "<https://registry.example.org/shapes> owl:imports <URL> .\n",
    "sh:shapesGraph": "<https://registry.example.org/data> sh:shapesGraph <URL> .\n",
    "a JavaScript library": "ex:L sh:jsLibraryURL 'URL' .\n",
}


def refused_shapes(case: str, port: int) -> str:
    # URL is the listener's address (not the URL of sh:jsLibraryURL).
    return PREFIXES + re.sub(r"(?<![A-Za-z])URL", URL.format(port=port), REFUSED[case])


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.socket.close()


@pytest.fixture(scope="module")
def run_cli(knowledge_base: KnowledgeBase) -> Iterator[Invoke]:
    """Run the CLI with the session's knowledge base (built once, not per command)."""

    def shared(files: DataFiles) -> KnowledgeBase:
        return knowledge_base if files == knowledge_base.files else KnowledgeBase(files)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(options, "knowledge_base", shared)
        yield lambda *args: CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def registry_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    path.write_text(REGISTRY_TABLE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_json(run_cli: Invoke, registry_table: Path) -> tuple[Result, dict[str, object]]:
    result = run_cli(
        "validate", str(registry_table), "--shapes", str(REGISTRY_SHAPES), "--format", "json"
    )
    return result, json.loads(result.stdout)


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    app = create_app(ServiceSettings(workers=1))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def located(errors: object) -> list[tuple[object, ...]]:
    assert isinstance(errors, list)
    return [(e["line"], e["patient_id"], e["column"], e["value"], e.get("shape")) for e in errors]


SHAPE = "https://registry.example.org/shapes/"
EXPECTED_ROWS = [
    (2, "A", "cr_after_induction", None, SHAPE + "RemissionRecordedShape"),  # SHACL-SPARQL
    (2, "A", "central_review", None, SHAPE + "CentralReviewShape"),  # core, by inference
    (3, "B", "site", "Paris", SHAPE + "SiteShape"),  # core: sh:in
    (5, "D", "site", None, SHAPE + "SiteShape"),  # core: sh:minCount
    (6, "E", "age_years", "seven", None),  # pedall's own reader
]


# -- the CLI ---------------------------------------------------------------------------


@pytest.mark.slow  # pyshacl with the registry's shapes
def test_the_cli_finds_the_registry_errors_at_their_rows(
    cli_json: tuple[Result, dict[str, object]],
) -> None:
    result, document = cli_json
    assert result.exit_code == 1, result.output
    assert document["conforms"] is False
    assert located(document["errors"]) == EXPECTED_ROWS
    assert document["notice"] == RESEARCH_NOTICE


@pytest.mark.slow  # pyshacl
def test_each_registry_issue_names_its_shape_severity_and_constraint(
    cli_json: tuple[Result, dict[str, object]],
) -> None:
    errors = cli_json[1]["errors"]
    assert isinstance(errors, list)
    by_shape = {e["shape"]: e for e in errors if e.get("shape")}
    site = by_shape[SHAPE + "SiteShape"]
    assert site["shape_label"] == "registry site"
    assert site["shacl_severity"] == "Violation" and site["severity"] == "error"
    assert "one of the registry's sites" in site["message"]
    assert by_shape[SHAPE + "RemissionRecordedShape"]["constraint"] == (
        "sh:SPARQLConstraintComponent"
    )
    assert by_shape[SHAPE + "CentralReviewShape"]["constraint"] == "sh:MinCountConstraintComponent"


def test_the_inferred_class_is_what_the_review_shape_targets(
    knowledge_base: KnowledgeBase,
) -> None:
    # No triple of the data graph says A is a KMT2A-rearranged patient: only OWL RL
    # inference over the ontology does, so without the inferences in view, A's missing
    # central review would not be found (C, with MLL-AF4 and a review, passes).
    data = shapes_data(
        [DataInput(REGISTRY_TABLE.encode(), "text/csv", "t.csv")], toolkit(knowledge_base)
    )
    assert (PATIENT.A, RDF.type, PEDALL.KMT2ARearrangedPatient) not in data.graph
    assert (PATIENT.A, PEDALL.hasLesion, None) in data.graph


@pytest.mark.slow  # pyshacl
def test_the_text_report_shows_rdf_nodes_and_the_shape(run_cli: Invoke, tmp_path: Path) -> None:
    patients = tmp_path / "registry.ttl"
    patients.write_text(REGISTRY_GRAPH, encoding="utf-8")
    result = run_cli("validate", str(patients), "--shapes", str(REGISTRY_SHAPES))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if "[shape" in line]
    assert lines == [
        f"  - {patients}, node <https://registry.example.org/patient/T1>, patient T1, "
        "central_review = (empty): a KMT2A-rearranged patient needs the number of the "
        "registry's central cytogenetic review (column central_review) [shape central "
        f"cytogenetic review <{SHAPE}CentralReviewShape>, sh:Violation]",
        f"  - {patients}, node <https://registry.example.org/patient/T1>, patient T1, "
        "site = Lyon: the site must be one of the registry's sites (Seoul, Busan, Daegu, "
        f"Incheon, Daejeon) [shape registry site <{SHAPE}SiteShape>, sh:Violation]",
    ]
    assert RESEARCH_NOTICE in result.stdout


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_cli_refuses_shapes_that_reach_out(
    run_cli: Invoke, listener: Listener, registry_table: Path, tmp_path: Path, case: str
) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(refused_shapes(case, listener.port), encoding="utf-8")
    before = listener.connections_so_far()
    result = run_cli("validate", str(registry_table), "--shapes", str(shapes))
    assert result.exit_code == 2, result.output
    assert "refused" in result.output
    assert listener.connections_so_far() == before


def test_the_cli_names_file_and_line_of_malformed_shapes(
    run_cli: Invoke, registry_table: Path, tmp_path: Path
) -> None:
    shapes = tmp_path / "broken.ttl"
    shapes.write_text(PREFIXES + "ex:S a sh:NodeShape ;\n  sh:targetClass .\n", encoding="utf-8")
    result = run_cli("validate", str(registry_table), "--shapes", str(shapes))
    assert result.exit_code == 2
    assert f"{shapes}, line 6: not valid Turtle" in result.output


# -- the library's checks --------------------------------------------------------------


def test_a_refusal_names_the_shape_and_what_it_asks_for() -> None:
    with pytest.raises(RefusedShapesError, match=r"^ex:S sh:select: SERVICE is refused"):
        RegistryShapes.from_texts([("s.ttl", refused_shapes("service in a constraint", 1))])
    with pytest.raises(RefusedShapesError, match="owl:imports names a graph to load"):
        RegistryShapes.from_texts([("s.ttl", refused_shapes("owl:imports", 1))])


def test_the_checked_query_is_the_query_pyshacl_runs() -> None:
    # The policy normalises line ends and escapes; the shapes then hold that same text.
    text = PREFIXES + sparql_constraint("SELECT $this WHERE {\\r $this pedall:ageYears ?age }")
    shapes = RegistryShapes.from_texts([("s.ttl", text)]).shapes.graph
    (query,) = shapes.objects(None, SH.select)
    assert query == Literal("SELECT $this WHERE {\n $this pedall:ageYears ?age }")


def test_malformed_shapes_are_a_located_error() -> None:
    with pytest.raises(ShapesSyntaxError, match=r"^s\.ttl, line 2: not valid Turtle") as error:
        RegistryShapes.from_texts([("s.ttl", "@prefix ex: <http://ex/> .\nex:a ex:b .\n")])
    assert error.value.line == 2


# -- POST /shacl -----------------------------------------------------------------------


def test_shacl_endpoint_answers_located_issues_for_a_table(http: TestClient) -> None:
    response = http.post(
        "/shacl",
        files={
            "data": ("registry.csv", REGISTRY_TABLE.encode(), "text/csv"),
            "shapes": ("registry-shapes.ttl", REGISTRY_SHAPES.read_bytes(), "text/turtle"),
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["conforms"] is False
    assert [row[:4] for row in located(document["errors"])] == [
        (line, patient, column, value) for line, patient, column, value, _ in EXPECTED_ROWS
    ]
    assert document["notice"] == RESEARCH_NOTICE
    assert response.headers["cache-control"] == "no-store"


def test_shacl_endpoint_answers_the_report_graph_for_rdf_data(http: TestClient) -> None:
    response = http.post(
        "/shacl",
        params={"shapes": REGISTRY_SHAPES.read_text(encoding="utf-8")},
        content=REGISTRY_GRAPH.encode(),
        headers={"Content-Type": "text/turtle"},
    )
    assert response.status_code == 200, response.text  # as Fuseki: the report says
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.text.startswith(f"# {RESEARCH_NOTICE}")
    report = Graph().parse(data=response.text, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    failed = {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
        for r in report.objects(node, SH.result)
    }
    t1 = "https://registry.example.org/patient/T1"
    column = "https://w3id.org/pedall/column/"
    assert failed == {(t1, column + "central_review"), (t1, column + "site")}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_shacl_endpoint_refuses_shapes_that_reach_out(
    http: TestClient, listener: Listener, case: str
) -> None:
    before = listener.connections_so_far()
    response = http.post(
        "/shacl",
        files={
            "data": ("registry.csv", REGISTRY_TABLE.encode(), "text/csv"),
            "shapes": ("shapes.ttl", refused_shapes(case, listener.port).encode(), "text/turtle"),
        },
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "refused-shapes"
    assert "refused" in body["message"]
    assert listener.connections_so_far() == before


def test_shacl_endpoint_names_the_line_of_malformed_shapes(http: TestClient) -> None:
    response = http.post(
        "/shacl",
        params={"shapes": PREFIXES + "ex:S a sh:NodeShape ;\n  sh:targetClass .\n"},
        content=REGISTRY_GRAPH.encode(),
        headers={"Content-Type": "text/turtle"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "shapes-syntax"
    assert "shapes, line 6: not valid Turtle" in response.json()["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"content": b"x", "headers": {"Content-Type": "text/turtle"}}, "no shapes"),
        (
            {"files": {"shapes": ("s.ttl", b"", "text/turtle")}},
            "needs the parts data and shapes; no data",
        ),
        (
            {"params": {"graph": "default", "shapes": ""}, "content": b""},
            "pedall stores no data",
        ),
    ],
)
def test_shacl_endpoint_says_what_a_request_lacks(
    http: TestClient, request_kwargs: dict[str, object], message: str
) -> None:
    response = http.post("/shacl", **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert message in response.json()["message"]
