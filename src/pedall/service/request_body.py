"""Read request bodies up to the service's size limit, refusing larger ones early."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from pedall.errors import BadRequestError, RequestTooLargeError


async def read_body(request: Request, limit: int) -> bytes:
    """The body of ``request``, or ``RequestTooLargeError`` once it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read; a
    chunked body is counted as it arrives and dropped as soon as it passes the limit. A
    client gone before its body is complete (or cut off for sending it too slowly,
    ``pedall.service.slow_clients``) is a ``BadRequestError`` nobody reads, not a crash.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeError(f"request body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLargeError(f"request body is over the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise BadRequestError("the client went away before its request body was complete") from None
    return b"".join(chunks)
