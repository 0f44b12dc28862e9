"""The ``pedall serve`` command: run the HTTP service (imported only when it runs; the
options take their defaults from ``ServiceSettings``, which needs only the standard library)."""

from __future__ import annotations

from pathlib import Path

import click

from pedall import RESEARCH_NOTICE
from pedall.cli.limit_options import OptionRow, input_limit_options, option_table
from pedall.cli.options import data_root_option, global_options
from pedall.patients.input_limits import InputLimits
from pedall.service.settings import ServiceSettings

ENV_NO_CACHE = "PEDALL_NO_CACHE"  # pedall.knowledge.cache.ENV_NO_CACHE, without importing rdflib
MB = 1024**2
DEFAULTS = ServiceSettings()

# The service's options, each declared here once, with its default from ServiceSettings.
SERVICE_OPTIONS = (
    OptionRow("--host", DEFAULTS.host, None, "Address to listen on."),
    OptionRow("--port", DEFAULTS.port, click.IntRange(0, 65535)),
    OptionRow(
        "--query-timeout",
        DEFAULTS.query_timeout,
        click.FloatRange(min=0.1),
        "Seconds a SPARQL query may run before it is stopped (HTTP 503).",
    ),
    OptionRow(
        "--workers",
        DEFAULTS.workers,
        click.IntRange(min=1),
        "Query worker processes (queries that can run at once).",
    ),
    OptionRow(
        "--long-queries",
        DEFAULTS.long_queries,
        click.IntRange(min=1),
        "Queries that run long (past a second) may run at once besides --workers, each at a "
        "lower CPU priority; more get HTTP 503.",
    ),
    OptionRow(
        "--client-timeout",
        DEFAULTS.client_timeout,
        click.FloatRange(min=0.1),
        "Seconds a client has to send a request's head, and again its body (HTTP 408 and "
        "the connection closed after).",
    ),
    OptionRow(
        "--query-memory-mb",
        DEFAULTS.query_memory_bytes // MB,
        click.IntRange(min=256),
        "Memory each query worker may use; a query needing more gets HTTP 503.",
    ),
    OptionRow(
        "--max-body-bytes",
        DEFAULTS.max_body_bytes,
        click.IntRange(min=1),
        "Largest request body accepted (HTTP 413 above).",
    ),
    OptionRow(
        "--upload-timeout",
        DEFAULTS.upload_timeout,
        click.FloatRange(min=0.1),
        "Seconds reading, checking and classifying one patient upload may take (HTTP 413 "
        "above; the upload worker is stopped and replaced).",
    ),
    OptionRow(
        "--upload-workers",
        DEFAULTS.upload_workers,
        click.IntRange(min=1),
        "Upload worker processes (patient uploads that can run at once).",
    ),
    OptionRow(
        "--upload-memory-mb",
        DEFAULTS.upload_memory_bytes // MB,
        click.IntRange(min=512),
        "Memory each upload worker may use; an upload needing more gets HTTP 413.",
    ),
)


@click.command()
@data_root_option
@option_table(SERVICE_OPTIONS)
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
        query_memory_bytes=query_memory_mb * MB,
        data_root=data_root,
        allowed_hosts=allowed_hosts,
        upload_timeout=upload_timeout,
        upload_workers=upload_workers,
        upload_memory_bytes=upload_memory_mb * MB,
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
