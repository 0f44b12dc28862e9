"""Structured access logs: one JSON line a request with method, path, status and duration.

Never the query string, the headers or the body: those may carry patient data (a
patient table posted to ``/classify``) or a client's query text.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "pedall.access"


class AccessLogMiddleware:
    """ASGI middleware writing one ``pedall.access`` record per HTTP request.

    The record's message is a JSON object: ``{"method", "path", "status", "duration_ms"}``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            record = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            self.logger.info(json.dumps(record))
