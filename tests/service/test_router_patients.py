"""``pedall.service.patient_api`` in-process: ``POST /classify`` and ``POST /validate`` (in the
upload workers) answer what the library API answers, 422 with the located errors, and the
JSON error body for input they cannot take (400 unreadable, 406, 413 over the body limit,
415 unknown media type). Limits of time, memory and shape run against a bounded server in
``tests/service/test_upload_bounds.py``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import SH

from http_answers import assert_json_error, in_process, listening
from pedall import RESEARCH_NOTICE
from pedall.api import classify_input
from pedall.classify.schemes import read_schemes
from pedall.cohort.summary import summarize
from pedall.knowledge.base import KnowledgeBase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients.csv"
CSV = {"Content-Type": "text/csv"}
CSV_HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
    "down_syndrome\n"
)
LOW_RISK_ROW = "HTTP-LOW-1,F,4,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n"
PATIENT_TURTLE = """\
@prefix pedall: <https://w3id.org/pedall/> .
@prefix ex: <http://example.org/> .
ex:p1 a pedall:Patient ; pedall:patientId "TTL-1" ; pedall:ageYears 16 .
"""


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


def parsed_turtle(body: bytes) -> Graph:
    return Graph().parse(data=body.decode("utf-8"), format="turtle")


# --- /classify -----------------------------------------------------------------------------


def test_classify_a_table(client: TestClient) -> None:
    response = client.post("/classify", content=(CSV_HEADER + LOW_RISK_ROW).encode(), headers=CSV)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert answer["errors"] == []
    (result,) = answer["results"]
    assert (result["patient_id"], result["risk_group"]) == ("HTTP-LOW-1", "low")
    assert result["provisional"] is False
    assert {criterion["group"] for criterion in result["criteria"]} == {"low"}
    assert all(criterion["sources"] for criterion in result["criteria"])
    assert answer["notice"] == RESEARCH_NOTICE


def test_classify_answers_what_the_library_api_answers(
    client: TestClient, knowledge_base: KnowledgeBase
) -> None:
    payload = EXAMPLES.read_bytes()
    response = client.post("/classify", content=payload, headers=CSV)
    expected = classify_input(knowledge_base, payload, "text/csv", source="<request>")
    assert response.status_code == (422 if expected.has_errors else 200)
    assert {key: value for key, value in response.json().items() if key != "notice"} == (
        expected.as_json()
    )


def test_classify_turtle_json_ld_and_rdfxml(client: TestClient) -> None:
    graph = Graph().parse(data=PATIENT_TURTLE, format="turtle")
    triples = pyoxigraph.parse(PATIENT_TURTLE.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    bodies = {
        "text/turtle": PATIENT_TURTLE.encode(),
        "application/ld+json": pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.JSON_LD)
        or b"",
        "application/rdf+xml": graph.serialize(format="xml", encoding="utf-8"),
    }
    for content_type, body in bodies.items():
        response = client.post("/classify", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 200, (content_type, response.text)
        (result,) = response.json()["results"]
        assert (result["patient_id"], result["risk_group"]) == ("TTL-1", "very-high")


def test_bad_cells_are_422_with_located_errors_and_the_good_rows(client: TestClient) -> None:
    bad_row = "HTTP-BAD-1,F,four,12000,B,CNS1,false,200,0.005,true,46,,false\n"
    response = client.post(
        "/classify", content=(CSV_HEADER + LOW_RISK_ROW + bad_row).encode(), headers=CSV
    )
    assert response.status_code == 422
    answer = response.json()
    assert list(answer) == ["results", "errors", "warnings", "notice"]  # not an error body
    (error,) = answer["errors"]
    assert (error["line"], error["column"], error["value"]) == (3, "age_years", "four")
    assert [result["patient_id"] for result in answer["results"]] == ["HTTP-LOW-1"]


def test_the_summary_is_the_librarys(client: TestClient, knowledge_base: KnowledgeBase) -> None:
    payload = EXAMPLES.read_bytes()
    response = client.post("/classify", params={"summary": "true"}, content=payload, headers=CSV)
    document = response.json()
    assert list(document) == ["results", "errors", "warnings", "summary", "notice"]
    outcome = classify_input(knowledge_base, payload, "text/csv", source="<request>")
    expected = summarize(outcome.results, outcome.issues, read_schemes(knowledge_base.graph))
    assert document["summary"] == json.loads(json.dumps(expected.as_dict()))
    plain = client.post("/classify", content=payload, headers=CSV)
    assert "summary" not in plain.json()
    refused = client.post("/classify", params={"summary": "maybe"}, content=payload, headers=CSV)
    assert_json_error(refused, 400, "bad-request", "summary")


# --- /validate -----------------------------------------------------------------------------


def test_validate_as_json_and_as_the_shacl_report(client: TestClient) -> None:
    good = client.post("/validate", content=(CSV_HEADER + LOW_RISK_ROW).encode(), headers=CSV)
    assert good.status_code == 200
    assert good.headers["cache-control"] == "no-store"
    assert good.json()["conforms"] is True
    bad_csv = b"patient_id,age_years\nHTTP-NEG-1,-2\n"
    bad = client.post("/validate", content=bad_csv, headers=CSV)
    assert bad.status_code == 422
    assert bad.json()["conforms"] is False
    report = client.post("/validate", content=bad_csv, headers={**CSV, "Accept": "text/turtle"})
    assert report.status_code == 422
    assert report.headers["content-type"].startswith("text/turtle")
    graph = parsed_turtle(report.content)
    (node,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert (node, SH.conforms, Literal(False)) in graph


@pytest.mark.parametrize(
    ("row", "status", "conforms"),
    [
        ("VR-OK,F,4,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 200, True),
        ("VR-WARN,F,4,150,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 200, True),
        ("VR-BAD,F,seven,12000,B,CNS1,false,200,0.005,true,46,ETV6-RUNX1,false\n", 422, False),
    ],
)
def test_the_turtle_report_agrees_with_the_status(
    client: TestClient, row: str, status: int, conforms: bool
) -> None:
    body = (CSV_HEADER + row).encode()
    response = client.post("/validate", content=body, headers={**CSV, "Accept": "text/turtle"})
    assert response.status_code == status
    report = parsed_turtle(response.content)
    assert list(report.objects(None, SH.conforms)) == [Literal(conforms)]
    assert client.post("/validate", content=body, headers=CSV).json()["conforms"] is conforms
    if not conforms:
        (comment,) = report.objects(None, RDFS.comment)
        assert "reading the input" in str(comment)


def test_a_validation_answer_in_no_acceptable_format_is_406(client: TestClient) -> None:
    response = client.post(
        "/validate", content=b"patient_id\nP1\n", headers={**CSV, "Accept": "image/png"}
    )
    assert_json_error(response, 406, "not-acceptable", "application/json or text/turtle")


# --- input neither route can take ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/classify", "/validate"])
def test_unreadable_input_is_400(client: TestClient, path: str) -> None:
    broken = client.post(
        path, content=b"ex:p1 a pedall:Patient", headers={"Content-Type": "text/turtle"}
    )
    assert_json_error(broken, 400, "input-format", "Turtle")
    not_utf8 = client.post(path, content=b"\xff\xfe\x00x", headers=CSV)
    assert_json_error(not_utf8, 400, "input-format", "UTF-8")


@pytest.mark.parametrize("path", ["/classify", "/validate"])
def test_an_unknown_media_type_is_415(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"%PDF", headers={"Content-Type": "application/pdf"})
    assert_json_error(response, 415, "unsupported-media-type", "text/csv")


@pytest.mark.parametrize("path", ["/classify", "/validate"])
def test_a_body_over_the_limit_is_413(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"x" * 1_000_001, headers=CSV)
    assert_json_error(response, 413, "request-too-large", "over the limit")

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 100_000

    chunked = client.post(path, content=chunks(), headers=CSV)
    assert_json_error(chunked, 413, "request-too-large", "over the limit")


def test_no_upload_opens_a_connection(client: TestClient) -> None:
    with listening() as listener:
        remote = f"http://127.0.0.1:{listener.port}"
        remote_context = {
            "@context": f"{remote}/context.jsonld",
            "@id": "http://example.org/p1",
            "@type": "https://w3id.org/pedall/Patient",
        }
        refused_context = client.post(
            "/classify",
            content=json.dumps(remote_context).encode(),
            headers={"Content-Type": "application/ld+json"},
        )
        assert_json_error(refused_context, 400, "input-format", "remote JSON-LD context")
        external_entity = (
            '<?xml version="1.0"?>\n'
            f'<!DOCTYPE rdf:RDF [<!ENTITY remote SYSTEM "{remote}/entity">]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&remote;</rdf:RDF>'
        )
        refused_entity = client.post(
            "/validate",
            content=external_entity.encode(),
            headers={"Content-Type": "application/rdf+xml"},
        )
        assert_json_error(refused_entity, 400, "input-format", "DOCTYPE refused")
        assert listener.connections(wait=1.0) == 0


def test_entity_expansion_in_rdfxml_is_refused_before_parsing(client: TestClient) -> None:
    levels = ['<!ENTITY e0 "ha">'] + [
        f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(levels) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:pedall="https://w3id.org/pedall/">'
        '<pedall:Patient rdf:about="http://example.org/p"><pedall:patientId>&e9;'
        "</pedall:patientId></pedall:Patient></rdf:RDF>"
    )
    started = time.monotonic()
    response = client.post(
        "/classify", content=bomb.encode(), headers={"Content-Type": "application/rdf+xml"}
    )
    assert_json_error(response, 400, "input-format", "DOCTYPE refused")
    assert time.monotonic() - started < 5
