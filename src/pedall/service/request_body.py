"""Read request bodies up to the service's size limit, refusing larger ones early."""

from __future__ import annotations

from starlette.requests import Request

from pedall.errors import RequestTooLargeError


async def read_body(request: Request, limit: int) -> bytes:
    """The body of ``request``, or ``RequestTooLargeError`` once it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read; a
    chunked body is counted as it arrives and dropped as soon as it passes the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeError(f"request body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLargeError(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
