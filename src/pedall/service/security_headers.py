"""Security headers on every answer, and the Host allow-list that stops DNS rebinding.

A page of another site that rebinds its own name to 127.0.0.1 reaches a local pedall with
its own name in ``Host``; answering only the names pedall serves under (``--allowed-host``,
by default the loopback names) refuses it before any router runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# Pages load their scripts, styles and data from the service itself only (no CDN).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}


def host_name(host_header: str) -> str:
    """The name in a ``Host`` header without its port (``[::1]:8000`` -> ``[::1]``)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class SecurityHeadersMiddleware:
    """ASGI middleware: refuse a request whose ``Host`` is not allowed (400), and add
    ``SECURITY_HEADERS`` to every answer."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS) -> None:
        self.app = app
        self.allowed = frozenset(host.lower() for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "")
        if "*" not in self.allowed and host_name(host) not in self.allowed:
            refusal = PlainTextResponse(
                f"Host {host!r} is not served here; allowed: {', '.join(sorted(self.allowed))}"
                " (pedall serve --allowed-host NAME)\n",
                status_code=400,
                headers=SECURITY_HEADERS,
            )
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
