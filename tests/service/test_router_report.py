"""``pedall.service.report_api`` in-process: ``POST /report`` answers the cohort report page
(200, or 422 when some row had errors, which the page lists) with the report's own
Content-Security-Policy, and the JSON error body for input it cannot take. The page's
content is tested in ``tests/cohort/test_report.py``; the time limit in
``test_upload_bounds.py``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from http_answers import assert_json_error, in_process
from pedall import RESEARCH_NOTICE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients.csv"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with in_process() as http:
        yield http


@pytest.mark.slow
def test_the_report_is_one_page_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = client.post("/report", content=EXAMPLES.read_bytes(), headers=CSV)
    assert answer.status_code == 422  # P13's age, reported in the page
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    assert "pedall-report.html" in answer.headers["content-disposition"]
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "P01" in answer.text and RESEARCH_NOTICE in answer.text
    clean = client.post("/report", content=b"patient_id,age_years\nA,16\n", headers=CSV)
    assert clean.status_code == 200
    assert caplog.records and not [r for r in caplog.records if "P01" in r.getMessage()]


def test_an_unknown_media_type_is_415(client: TestClient) -> None:
    response = client.post("/report", content=b"x", headers={"Content-Type": "image/png"})
    assert_json_error(response, 415, "unsupported-media-type", "text/csv")


def test_unreadable_input_is_400(client: TestClient) -> None:
    response = client.post("/report", content=b"\xff\xfe\x00x", headers=CSV)
    assert_json_error(response, 400, "input-format", "UTF-8")


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/report", content=b"x" * 1_000_001, headers=CSV)
    assert_json_error(response, 413, "request-too-large", "over the limit")
