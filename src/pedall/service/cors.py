"""CORS for reads: any origin may GET (SPARQL queries, terms, downloads), none may POST.

Pages of other sites may query the endpoint from a browser, as with any public SPARQL
endpoint, but cannot read answers to posted patient data: a service running next to
patient data must not hand those to a page the user happened to open.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = ("GET", "HEAD")
MAX_AGE_SECONDS = "600"


class ReadOnlyCorsMiddleware:
    """ASGI middleware: ``Access-Control-Allow-Origin: *`` on GET and HEAD answers, and
    preflight answers that allow GET and HEAD only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope["method"]
        if method == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight(headers)(scope, receive, send)
            return
        if method not in READ_METHODS or "origin" not in headers:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = "*"
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def preflight(headers: Headers) -> Response:
        """The answer to a CORS preflight: 204 for a read, 403 for anything else."""
        if headers["access-control-request-method"].upper() not in READ_METHODS:
            return Response("cross-origin requests may only read (GET)", 403)
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": ", ".join(READ_METHODS),
                "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Language",
                "Access-Control-Max-Age": MAX_AGE_SECONDS,
            },
        )
