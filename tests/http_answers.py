"""What the router tests share: an in-process client of ``create_app(settings)`` (its
lifespan runs, so the query and upload worker processes start and stop with it), the one
error contract every error answer keeps, and a listener that counts connections.

Every JSON error body is ``{"error": code, "message": text}``, with ``Cache-Control:
no-store``; on ``/sparql`` the message comes as ``text/plain`` instead, as SPARQL clients
expect (``pedall.service.app.answer_error``).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from httpx2 import Response

from pedall.service.app import create_app
from pedall.service.settings import ServiceSettings

LOOPBACK = "http://127.0.0.1"  # a Host the service answers (a TestClient's default is not)
# One worker of each kind: enough for a router's answers, and quick to start on 2 cores.
ROUTER_SETTINGS = ServiceSettings(workers=1, upload_workers=1, max_body_bytes=1_000_000)


@contextmanager
def in_process(settings: ServiceSettings = ROUTER_SETTINGS) -> Iterator[TestClient]:
    """A client of a fresh service, started and stopped around the block (redirects are
    answered, not followed, so that a test sees them)."""
    app = create_app(settings)
    with TestClient(app, base_url=LOOPBACK, follow_redirects=False) as client:
        yield client


def assert_json_error(response: Response, status: int, code: str, says: str) -> str:
    """``response`` is the JSON error ``code`` with ``status``, its message holding
    ``says``; the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error", "message"}, body
    assert body["error"] == code
    message = body["message"]
    assert isinstance(message, str) and says in message, message
    return message


def assert_text_error(response: Response, status: int, says: str) -> str:
    """``response`` is a ``/sparql`` error: ``status`` and the message as one line of plain
    text holding ``says``; the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert "Accept" in response.headers["vary"]
    assert response.text.endswith("\n") and says in response.text, response.text
    return response.text.removesuffix("\n")


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port: int = self.socket.getsockname()[1]

    def connections(self, wait: float) -> int:
        """Accept whatever arrives within ``wait`` seconds; how many arrived."""
        count = 0
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.socket], [], [], remaining)
            if ready:
                connection, _ = self.socket.accept()
                connection.close()
                count += 1
        return count

    def close(self) -> None:
        self.socket.close()


@contextmanager
def listening() -> Iterator[Listener]:
    """A listener, closed after the block."""
    opened = Listener()
    try:
        yield opened
    finally:
        opened.close()
