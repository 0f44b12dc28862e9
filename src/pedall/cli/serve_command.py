"""The ``pedall serve`` command: run the HTTP service (imported only when it runs)."""

from __future__ import annotations

from pathlib import Path

import click

from pedall import RESEARCH_NOTICE
from pedall.cli.limit_options import input_limit_options
from pedall.cli.options import data_root_option, global_options
from pedall.patients.input_limits import InputLimits

ENV_NO_CACHE = "PEDALL_NO_CACHE"  # pedall.knowledge.cache.ENV_NO_CACHE, without importing rdflib


@click.command()
@data_root_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--query-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a SPARQL query may run before it is stopped (HTTP 503).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Query worker processes (queries that can run at once).",
)
@click.option(
    "--long-queries",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Queries that run long (past a second) may run at once besides --workers, each at a "
    "lower CPU priority; more get HTTP 503.",
)
@click.option(
    "--client-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client has to send a request's head, and again its body (HTTP 408 and "
    "the connection closed after).",
)
@click.option(
    "--query-memory-mb",
    default=2048,
    show_default=True,
    type=click.IntRange(min=256),
    help="Memory each query worker may use; a query needing more gets HTTP 503.",
)
@click.option(
    "--max-body-bytes",
    default=5 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body accepted (HTTP 413 above).",
)
@click.option(
    "--upload-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds reading, checking and classifying one patient upload may take (HTTP 413 "
    "above; the upload worker is stopped and replaced).",
)
@click.option(
    "--upload-workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Upload worker processes (patient uploads that can run at once).",
)
@click.option(
    "--upload-memory-mb",
    default=2048,
    show_default=True,
    type=click.IntRange(min=512),
    help="Memory each upload worker may use; an upload needing more gets HTTP 413.",
)
@input_limit_options
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name the service answers besides loopback and --host (repeat it; '*' "
    "allows any, which turns DNS-rebinding protection off).",
)
def serve(
    data_root: Path | None,
    host: str,
    port: int,
    query_timeout: float,
    workers: int,
    long_queries: int,
    client_timeout: float,
    query_memory_mb: int,
    max_body_bytes: int,
    upload_timeout: float,
    upload_workers: int,
    upload_memory_mb: int,
    limits: InputLimits,
    allowed_hosts: tuple[str, ...],
) -> None:
    """Run the HTTP service: SPARQL endpoint, linked data, /classify, /validate and pages.

    Read-only; nothing posted is stored or logged. Access logs (one JSON line a request:
    method, path, status, duration) go to standard error.
    """
    import logging
    import os

    import uvicorn

    from pedall.service.access_log import ACCESS_LOGGER
    from pedall.service.app import create_app
    from pedall.service.settings import ServiceSettings
    from pedall.service.slow_clients import guarded_protocol

    if global_options().no_cache:
        os.environ[ENV_NO_CACHE] = "1"  # this process is the server; its knowledge base reads it
    settings = ServiceSettings(
        host=host,
        port=port,
        query_timeout=query_timeout,
        max_body_bytes=max_body_bytes,
        workers=workers,
        long_queries=long_queries,
        client_timeout=client_timeout,
        query_memory_bytes=query_memory_mb * 1024**2,
        data_root=data_root,
        allowed_hosts=allowed_hosts,
        upload_timeout=upload_timeout,
        upload_workers=upload_workers,
        upload_memory_bytes=upload_memory_mb * 1024**2,
        limits=limits,
    )
    access = logging.getLogger(ACCESS_LOGGER)
    if not access.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    click.echo(f"pedall serving on http://{host}:{port}/ ({RESEARCH_NOTICE})", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        http=guarded_protocol(client_timeout),
    )
