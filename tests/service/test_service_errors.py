"""The app factory (``pedall.service.app``) in-process: its one error contract (each
``PedallError`` a router raises, Starlette's own errors, an unreadable parameter and any
other failure answer ``{"error": code, "message": text}`` with their status; plain text on
``/sparql``), and what it serves itself: ``/health``, ``/openapi.json`` and CORS for reads.
Each router's own answers and errors are in its ``tests/test_router_*.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from http_answers import (
    LOOPBACK,
    ROUTER_SETTINGS,
    assert_json_error,
    assert_text_error,
    in_process,
)
from pedall.errors import (
    BadRequestError,
    DataFileError,
    DocsUnavailableError,
    ForbiddenQueryError,
    InputFormatError,
    InputLimitError,
    KaryotypeError,
    NotAcceptableError,
    PatientDataError,
    PedallError,
    QueryEngineError,
    QuerySyntaxError,
    QueryTimeoutError,
    QueryWorkerError,
    ReadOnlyError,
    RefusedShapesError,
    RequestTooLargeError,
    ServiceBusyError,
    ShapesSyntaxError,
    UnknownQueryError,
    UnknownTermError,
    UnsupportedMediaTypeError,
    UnsupportedQueryError,
    UploadLimitError,
)
from pedall.service.app import create_app, error_code, status_for
from pedall.service.security_headers import SECURITY_HEADERS

CSV_ROW = b"patient_id,age_years\nCORS-1,4\n"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UnknownTermError("x"), 404, "unknown-term"),
        (UnknownQueryError("x"), 404, "unknown-query"),
        (UnsupportedMediaTypeError("x"), 415, "unsupported-media-type"),
        (NotAcceptableError("x"), 406, "not-acceptable"),
        (BadRequestError("x"), 400, "bad-request"),
        (InputFormatError("x", line=3), 400, "input-format"),
        (QuerySyntaxError("x"), 400, "query-syntax"),
        (ForbiddenQueryError("x"), 400, "forbidden-query"),
        (UnsupportedQueryError("x"), 400, "unsupported-query"),
        (RefusedShapesError("x"), 400, "refused-shapes"),
        (ShapesSyntaxError("x", line=2), 400, "shapes-syntax"),
        (KaryotypeError(3, "a band", "q"), 422, "karyotype"),
        (ReadOnlyError("x"), 403, "read-only"),
        (RequestTooLargeError("x"), 413, "request-too-large"),
        (InputLimitError("x"), 413, "input-limit"),
        (UploadLimitError("x"), 413, "upload-limit"),
        (PatientDataError([]), 422, "patient-data"),
        (QueryEngineError("x"), 500, "query-engine"),
        (DataFileError("x"), 500, "data-file"),
        (QueryTimeoutError("x"), 503, "query-timeout"),
        (ServiceBusyError("x"), 503, "service-busy"),
        (QueryWorkerError("x"), 503, "query-worker"),
        (DocsUnavailableError("x"), 503, "docs-unavailable"),
        (PedallError("x"), 500, "pedall"),
    ],
)
def test_status_and_code_of_each_error(error: PedallError, status: int, code: str) -> None:
    assert status_for(error) == status
    assert error_code(error) == code


def test_any_other_failure_is_500_in_the_same_shape_saying_nothing_of_it() -> None:
    app = create_app(ROUTER_SETTINGS)

    def fail() -> None:
        raise RuntimeError("a detail for the log only")

    app.add_api_route("/fail", fail)
    app.add_api_route("/sparql/fail", fail)
    # No lifespan: these routes need no workers. The error is still raised for the log.
    client = TestClient(app, base_url=LOOPBACK, raise_server_exceptions=False)
    response = client.get("/fail")
    message = assert_json_error(response, 500, "internal-error", "its log says why")
    assert "detail" not in message
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert_text_error(client.get("/sparql/fail"), 500, "its log says why")


def test_an_unknown_route_and_another_method(client: TestClient) -> None:
    assert_json_error(client.get("/no/such/page"), 404, "not-found", "Not Found")
    wrong_method = client.delete("/classify")
    assert_json_error(wrong_method, 405, "method-not-allowed", "Method Not Allowed")
    assert wrong_method.headers["allow"] == "POST"


def test_an_unreadable_parameter_is_400_in_the_same_shape(client: TestClient) -> None:
    assert_json_error(client.get("/graph.ttl?inferred=maybe"), 400, "bad-request", "inferred")
    too_long = client.get("/search", params={"q": "x" * 201, "format": "json"})
    assert_json_error(too_long, 400, "bad-request", "q: String should have at most 200")


def test_health_names_the_workers(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["query_timeout_seconds"] == ROUTER_SETTINGS.query_timeout
    assert len(health["query_workers"]) == ROUTER_SETTINGS.workers
    assert len(health["upload_workers"]) == ROUTER_SETTINGS.upload_workers
    assert health["upload_timeout_seconds"] == ROUTER_SETTINGS.upload_timeout


def test_the_openapi_schema_has_every_route_once(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/sparql", "/classify", "/validate", "/report", "/shacl", "/id/{name}"):
        assert path in schema["paths"]
    operation_ids = [
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    assert_json_error(client.get("/redoc"), 404, "not-found", "Not Found")


def test_cors_for_reads_only(client: TestClient) -> None:
    origin = {"Origin": "https://example.org"}
    read = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    preflight_get = client.options(
        "/sparql", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight_get.status_code == 204
    assert "GET" in preflight_get.headers["access-control-allow-methods"]
    preflight_post = client.options(
        "/classify", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight_post.status_code == 403
    posted = client.post(
        "/classify", content=CSV_ROW, headers={**origin, "Content-Type": "text/csv"}
    )
    assert posted.status_code == 200
    assert "access-control-allow-origin" not in posted.headers
