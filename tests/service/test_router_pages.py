"""``pedall.service.pages`` in-process: the start page, the calculator, the query page and
the API documentation, each with the research notice and nothing loaded from elsewhere;
what is not a page (another path, another method, a missing asset) is the JSON error body.
The pages at work in a browser are tested in ``tests/service/test_calculator_browser.py`` and
``tests/service/test_service_browser.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from http_answers import assert_json_error, in_process
from pedall import RESEARCH_NOTICE
from pedall.knowledge.data_files import DataFiles
from pedall.query.library import load_library

PAGES = ("/", "/calculator", "/query", "/docs")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_served_with_the_notice_and_nothing_from_elsewhere(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert RESEARCH_NOTICE in page.text
    assert "//cdn" not in page.text and "unpkg" not in page.text and "jsdelivr" not in page.text


def test_the_calculators_assets_are_served_here(client: TestClient) -> None:
    calculator = client.get("/calculator").text
    for asset in ("/static/pedall.css", "/static/calculator.js"):
        assert asset in calculator
        assert client.get(asset).status_code == 200


def test_the_query_page_offers_the_library(client: TestClient) -> None:
    page = client.get("/query").text
    for query in load_library(DataFiles.default()):
        assert f'data-query="{query.name}"' in page


def test_the_docs_page_lists_the_operations(client: TestClient) -> None:
    page = client.get("/docs").text
    for path in ("/sparql", "/classify", "/validate", "/health"):
        assert path in page


def test_what_is_not_a_page_is_a_json_error(client: TestClient) -> None:
    assert_json_error(client.get("/no/such/page"), 404, "not-found", "Not Found")
    assert_json_error(client.get("/static/no-such.css"), 404, "not-found", "Not Found")
    another_method = client.post("/calculator")
    assert_json_error(another_method, 405, "method-not-allowed", "Method Not Allowed")
    assert another_method.headers["allow"] == "GET"
    asset_posted = client.post("/static/pedall.css")
    assert_json_error(asset_posted, 405, "method-not-allowed", "Method Not Allowed")
    assert asset_posted.headers["allow"] == "GET, HEAD"
