"""Cut off clients that send a request too slowly: the HTTP protocol uvicorn runs for
``pedall serve``, uvicorn's h11 protocol with two deadlines added.

uvicorn closes a keep-alive connection that stays idle (``timeout_keep_alive``), but any
byte that arrives cancels that timer, and nothing bounds the time a request takes to
arrive: a client sending its headers a byte at a time ("slowloris") or trickling its body
holds a connection, and the memory of a half-read request, for as long as it likes.

``guarded_protocol(timeout)`` gives the protocol class with the deadlines: a client has
``timeout`` seconds from opening the connection (or from the end of the previous answer
on it) to send a request's whole head, and ``timeout`` seconds again for its body. A
client over either gets ``408 Request Timeout`` and the connection is closed; one that
opened a connection and sent nothing is closed without an answer. While the service
works on a request the client waits without a deadline of this kind (the query time
limit bounds that work). The head is also bounded in size, as uvicorn bounds it
(``h11_max_incomplete_event_size``, 16 KB by default: a larger head gets 400).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_BODY = b"the request did not arrive in time\n"


def _timeout_response() -> bytes:
    """A 408 written by hand: before a whole head arrives h11 cannot answer it."""
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(TIMEOUT_BODY)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + TIMEOUT_BODY


class SlowClientGuard(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request head or body takes over
    ``client_timeout`` seconds to arrive (set by ``guarded_protocol``)."""

    client_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: object = None  # h11.IDLE (the head) or h11.SEND_BODY, while timed
        self._received = False  # bytes of the current request have arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._time(h11.IDLE)

    def connection_lost(self, exc: Exception | None) -> None:
        self._time(None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._received = True
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._phase is not h11.SEND_BODY:
            self._time(h11.SEND_BODY)
        elif state not in (h11.IDLE, h11.SEND_BODY):
            self._time(None)  # the whole request is in: the service's turn

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._received = False
            self._time(h11.IDLE)

    def _time(self, phase: object) -> None:
        """Start the deadline of ``phase`` (None: no deadline now)."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            self._deadline = self.loop.call_later(self.client_timeout, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is not self._phase:
            return
        if self._phase is h11.SEND_BODY and self.conn.our_state is h11.SEND_RESPONSE:
            headers = [("content-type", "text/plain; charset=utf-8"), ("connection", "close")]
            for event in (
                h11.Response(status_code=408, headers=headers, reason="Request Timeout"),
                h11.Data(data=TIMEOUT_BODY),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        elif self._received:
            self.transport.write(_timeout_response())
        self.transport.close()


def guarded_protocol(client_timeout: float) -> type[SlowClientGuard]:
    """The protocol class for ``uvicorn.run(http=...)`` with ``client_timeout`` seconds
    for a request's head and again for its body."""
    return type("SlowClientGuard", (SlowClientGuard,), {"client_timeout": client_timeout})
