"""The service's security headers and Host allow-list, in-process (``TestClient``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pedall.service.app import create_app
from pedall.service.security_headers import SECURITY_HEADERS, host_name
from pedall.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = ServiceSettings(workers=1, allowed_hosts=("pedall.example.org",))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/calculator", "/health", "/sparql?query=ASK{}", "/nope"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8000", "localhost", "localhost:8000", "[::1]:8000", "pedall.example.org"]
)
def test_allowed_hosts_are_served(client: TestClient, host: str) -> None:
    assert client.get("/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1.nip.io:8000", "", "evil:80"])
def test_other_hosts_are_refused_before_any_router(client: TestClient, host: str) -> None:
    """DNS rebinding: a page whose own name resolves to 127.0.0.1 sends that name."""
    response = client.get("/sparql?query=ASK{}", headers={"Host": host})
    assert response.status_code == 400
    assert "--allowed-host" in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.slow  # the app and its workers
def test_a_star_allows_any_host() -> None:
    settings = ServiceSettings(workers=1, allowed_hosts=("*",))
    with TestClient(create_app(settings), base_url="http://anything.example") as client:
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "[::1]"), ("LocalHost", "localhost")],
)
def test_host_name_drops_the_port(header: str, name: str) -> None:
    assert host_name(header) == name
