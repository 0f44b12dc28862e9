"""The one HTTP error contract, in-process: each router raises pedall's errors, one handler
answers every JSON error with ``{"error": code, "message": text}`` and the right status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from pedall.errors import (
    BadRequestError,
    NotAcceptableError,
    PatientDataError,
    PedallError,
    UnknownTermError,
    UnsupportedMediaTypeError,
)
from pedall.service.app import create_app, error_code, status_for
from pedall.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServiceSettings(workers=1)), base_url="http://127.0.0.1") as c:
        yield c


def assert_error(response: Response, status: int, code: str, says: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert says in body["message"]


def test_unknown_term_is_404(client: TestClient) -> None:
    response = client.get("/id/NoSuchLesion", headers={"Accept": "text/turtle"})
    assert_error(response, 404, "unknown-term", "NoSuchLesion")


def test_term_in_no_acceptable_format_is_406(client: TestClient) -> None:
    response = client.get("/id/BCR-ABL1", headers={"Accept": "image/png"})
    assert_error(response, 406, "not-acceptable", "offered")
    assert response.headers["Vary"] == "Accept"


def test_unknown_download_and_format(client: TestClient) -> None:
    assert_error(client.get("/graph.docx"), 404, "unknown-term", "graph.docx")
    assert_error(client.get("/download?format=docx"), 400, "bad-request", "docx")


def test_unreadable_parameter_is_400_in_the_same_shape(client: TestClient) -> None:
    assert_error(client.get("/graph.ttl?inferred=maybe"), 400, "bad-request", "inferred")


def test_patient_upload_of_unknown_media_type_is_415(client: TestClient) -> None:
    response = client.post("/classify", content=b"x", headers={"Content-Type": "image/png"})
    assert_error(response, 415, "unsupported-media-type", "text/csv")


def test_validation_answer_not_acceptable_is_406(client: TestClient) -> None:
    response = client.post(
        "/validate",
        content=b"patient_id\nP1\n",
        headers={"Content-Type": "text/csv", "Accept": "image/png"},
    )
    assert_error(response, 406, "not-acceptable", "text/turtle")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/no/such/page"), 404, "not-found", "Not Found")
    assert_error(client.delete("/classify"), 405, "method-not-allowed", "Method Not Allowed")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UnknownTermError("x"), 404, "unknown-term"),
        (UnsupportedMediaTypeError("x"), 415, "unsupported-media-type"),
        (NotAcceptableError("x"), 406, "not-acceptable"),
        (BadRequestError("x"), 400, "bad-request"),
        (PatientDataError([]), 422, "patient-data"),
    ],
)
def test_status_and_code_of_each_error(error: PedallError, status: int, code: str) -> None:
    assert status_for(error) == status
    assert error_code(error) == code
