"""``pedall.service.shacl_endpoint`` in-process: ``POST /shacl`` answers the SHACL report
(Turtle by default, 200 whatever the verdict) or pedall's located issues as JSON, and the
JSON error body for a request it cannot take (400, 406). Shapes that reach out, a
registry's own shapes and the multipart forms are tested in
``tests/validate/test_custom_shapes.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal
from rdflib.namespace import SH

from http_answers import assert_json_error, in_process
from pedall import RESEARCH_NOTICE

SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:PersonShape a sh:NodeShape ;
  sh:targetClass ex:Person ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""
DATA = """\
@prefix ex: <http://example.org/> .
ex:alice a ex:Person ; ex:name "Alice" .
ex:bob a ex:Person .
"""
TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


def test_the_report_graph_is_200_whatever_the_verdict(client: TestClient) -> None:
    response = client.post(
        "/shacl", params={"shapes": SHAPES}, content=DATA.encode(), headers=TURTLE
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.headers["cache-control"] == "no-store"
    assert response.text.startswith(f"# {RESEARCH_NOTICE}")
    report = Graph().parse(data=response.text, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    focus = {str(report.value(result, SH.focusNode)) for result in report.objects(node, SH.result)}
    assert focus == {"http://example.org/bob"}


def test_the_located_issues_as_json(client: TestClient) -> None:
    response = client.post(
        "/shacl",
        files={
            "data": ("data.ttl", DATA.encode(), "text/turtle"),
            "shapes": ("shapes.ttl", SHAPES.encode(), "text/turtle"),
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ["conforms", "errors", "warnings", "notice"]
    assert answer["conforms"] is False
    assert [error["node"] for error in answer["errors"]] == ["http://example.org/bob"]


def test_a_request_without_shapes_is_400(client: TestClient) -> None:
    response = client.post("/shacl", content=DATA.encode(), headers=TURTLE)
    assert_json_error(response, 400, "bad-request", "no shapes")
    named = client.post("/shacl", params={"graph": "default", "shapes": SHAPES}, content=b"")
    assert_json_error(named, 400, "bad-request", "pedall stores no data")


def test_malformed_shapes_are_400_with_the_line(client: TestClient) -> None:
    response = client.post(
        "/shacl", params={"shapes": SHAPES + "ex:S a .\n"}, content=DATA.encode(), headers=TURTLE
    )
    assert_json_error(response, 400, "shapes-syntax", "line 6")


def test_an_answer_in_no_acceptable_format_is_406(client: TestClient) -> None:
    response = client.post(
        "/shacl",
        params={"shapes": SHAPES},
        content=DATA.encode(),
        headers={**TURTLE, "Accept": "image/png"},
    )
    assert_json_error(response, 406, "not-acceptable", "text/turtle")
    assert response.headers["vary"] == "Accept"
