"""The settings of the HTTP service, fixed when the service is built."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits


@dataclass(frozen=True)
class ServiceSettings:
    """How ``pedall serve`` runs.

    ``query_timeout`` bounds every SPARQL query in seconds (the worker running it is
    killed and replaced when it is over); ``workers`` is the number of query worker
    processes for short queries, so that many run at once; besides them at most
    ``long_queries`` queries that run long (past a second) run at once, at a lower CPU
    priority (``pedall.service.query_workers``). A client has ``client_timeout`` seconds
    to send a request's head, and as long again for its body, or its connection is closed
    (``pedall.service.slow_clients``); ``max_body_bytes`` bounds every request
    body; ``read_only`` is the only mode there is so far: updates are refused with 403.
    ``data_root`` points at a copy of the data files (default: the installed ones).
    ``allowed_hosts`` are the names a request's ``Host`` may carry besides the loopback
    names and ``host`` itself (``*`` allows any; DNS rebinding protection is then off).
    Patient uploads are read, checked and classified in ``upload_workers`` processes,
    each within ``upload_timeout`` seconds and ``upload_memory_bytes`` of address space
    (over either: 413, and the worker is replaced), and within ``limits`` (cell size,
    columns, nesting depth, issues listed: ``pedall.patients.input_limits``).

    >>> ServiceSettings(port=8080).host
    '127.0.0.1'
    """

    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout: float = 10.0
    max_body_bytes: int = 5 * 1024 * 1024
    workers: int = 2
    query_memory_bytes: int = 2 * 1024**3
    long_queries: int = 4
    client_timeout: float = 10.0
    read_only: bool = True
    data_root: Path | None = None
    allowed_hosts: tuple[str, ...] = ()
    upload_timeout: float = 30.0
    upload_workers: int = 2
    upload_memory_bytes: int = 2 * 1024**3
    limits: InputLimits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        if self.upload_timeout <= 0:
            raise ValueError("upload_timeout must be positive")
        if self.upload_workers < 1:
            raise ValueError("upload_workers must be at least 1")
        if self.upload_memory_bytes < 512 * 1024**2:
            raise ValueError("upload_memory_bytes must be at least 512 MB")
        if self.query_timeout <= 0:
            raise ValueError("query_timeout must be positive")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.long_queries < 1:
            raise ValueError("long_queries must be at least 1")
        if self.client_timeout <= 0:
            raise ValueError("client_timeout must be positive")
        if self.query_memory_bytes < 256 * 1024**2:
            raise ValueError("query_memory_bytes must be at least 256 MB")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if not self.read_only:
            raise ValueError("only a read-only service is supported; updates are refused")
