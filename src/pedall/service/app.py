"""The HTTP service: ``create_app(settings)`` assembles the SPARQL endpoint, linked data,
the patient endpoints and the pages; nothing is built at import time.

Startup loads the knowledge base, computes its inferences once, and starts the query
workers with the graph (inferred triples included) and the upload workers that read
patient uploads. Errors map to HTTP statuses in one place (``ERROR_STATUS``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from pedall import RESEARCH_NOTICE, __version__
from pedall.errors import (
    BadRequestError,
    DataFileError,
    ForbiddenQueryError,
    InputFormatError,
    InputLimitError,
    NotAcceptableError,
    PatientDataError,
    PedallError,
    QueryEngineError,
    QuerySyntaxError,
    QueryTimeoutError,
    QueryWorkerError,
    ReadOnlyError,
    RequestTooLargeError,
    ServiceBusyError,
    UnknownQueryError,
    UnknownTermError,
    UnsupportedMediaTypeError,
    UnsupportedQueryError,
    UploadLimitError,
)
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import package_folder
from pedall.query.export import graph_statistics
from pedall.query.library import load_library
from pedall.query.sparql import build_store
from pedall.service.access_log import AccessLogMiddleware
from pedall.service.cors import ReadOnlyCorsMiddleware
from pedall.service.graph_downloads import GraphDownloads
from pedall.service.linked_data import linked_data_router, unknown_term_page
from pedall.service.ontology_docs import ontology_docs_router
from pedall.service.pages import pages_router
from pedall.service.patient_api import ANSWER_SECTIONS, patient_router
from pedall.service.query_workers import QueryWorkerPool
from pedall.service.report_api import report_router
from pedall.service.security_headers import LOOPBACK_HOSTS, SecurityHeadersMiddleware
from pedall.service.settings import ServiceSettings
from pedall.service.shacl_endpoint import shacl_router
from pedall.service.sparql_protocol import sparql_router
from pedall.service.state import ServiceState
from pedall.service.term_views import TermViews
from pedall.service.upload_workers import UploadWorkerPool
from pedall.toolkit import toolkit

# Most specific class first: the first match decides the status.
ERROR_STATUS: tuple[tuple[type[PedallError], int], ...] = (
    (ReadOnlyError, 403),
    (ForbiddenQueryError, 400),
    (QuerySyntaxError, 400),
    (UnsupportedQueryError, 400),
    (NotAcceptableError, 406),
    (QueryTimeoutError, 503),
    (UnknownQueryError, 404),
    (UnknownTermError, 404),
    (RequestTooLargeError, 413),
    (InputLimitError, 413),
    (UploadLimitError, 413),
    (ServiceBusyError, 503),
    (UnsupportedMediaTypeError, 415),
    (InputFormatError, 400),
    (BadRequestError, 400),
    (PatientDataError, 422),
    (QueryEngineError, 500),
    (QueryWorkerError, 503),
    (DataFileError, 500),
)


def status_for(error: PedallError) -> int:
    """The HTTP status of an error pedall raised (500 for any other kind)."""
    return next((status for kind, status in ERROR_STATUS if isinstance(error, kind)), 500)


def open_service(settings: ServiceSettings) -> ServiceState:
    """Load and infer the knowledge graph, start the query workers, compile the patient
    engines: everything the service shares, ready before the first request."""
    knowledge = KnowledgeBase.load(settings.data_root)
    store = build_store(knowledge.inferred)
    ntriples = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""
    del store
    tools = toolkit(knowledge)
    _ = tools.fast_engine, tools.data_quality  # compile once, not inside a request
    uploads = UploadWorkerPool(
        knowledge.files,
        knowledge.cache,
        size=settings.upload_workers,
        timeout=settings.upload_timeout,
        memory_bytes=settings.upload_memory_bytes,
        limits=settings.limits,
        sections=ANSWER_SECTIONS,
    )
    uploads.workers.start(wait=False)  # they load meanwhile; an early upload waits for one
    pool = QueryWorkerPool(
        ntriples,
        size=settings.workers,
        timeout=settings.query_timeout,
        memory_bytes=settings.query_memory_bytes,
        long_queries=settings.long_queries,
    )
    try:
        pool.start()
    except BaseException:
        uploads.workers.close()
        raise
    return ServiceState(
        settings=settings,
        knowledge=knowledge,
        query_pool=pool,
        statistics=graph_statistics(knowledge),
        library=load_library(knowledge.files),
        term_views=TermViews(knowledge.graph, knowledge.shapes, knowledge.inferred),
        downloads=GraphDownloads(knowledge),
        templates=Jinja2Templates(directory=package_folder("pedall.service", "templates")),
        upload_pool=uploads,
    )


def error_code(error: PedallError) -> str:
    """The ``error`` of a JSON error body: the class name in kebab case
    (``UnknownTermError`` -> ``unknown-term``)."""
    name = type(error).__name__.removesuffix("Error") or "Pedall"
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


async def pedall_error(request: Request, error: Exception) -> Response:
    """The one error contract: every ``PedallError`` a router raises answers with its status
    and ``{"error": code, "message": text}`` (plain text on ``/sparql``, as SPARQL clients
    expect); answers that negotiate say ``Vary: Accept``. A browser asking for an
    unknown term gets a page with suggestions instead."""
    assert isinstance(error, PedallError)
    status = status_for(error)
    message = str(error)
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    if isinstance(error, UnknownTermError) and (page := unknown_term_page(request, error)):
        return page
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(message + "\n", status_code=status, headers=headers)
    return JSONResponse(
        {"error": error_code(error), "message": message}, status_code=status, headers=headers
    )


HTTP_ERROR_CODES = {404: "not-found", 405: "method-not-allowed"}


async def http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method) in the same JSON shape."""
    assert isinstance(error, StarletteHTTPException)
    code = HTTP_ERROR_CODES.get(error.status_code, "http-error")
    return JSONResponse(
        {"error": code, "message": str(error.detail)},
        status_code=error.status_code,
        headers={**(error.headers or {}), "Cache-Control": "no-store"},
    )


async def parameter_error(request: Request, error: Exception) -> Response:
    """A query parameter FastAPI could not read (``inferred=maybe``): 400, same shape."""
    assert isinstance(error, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )
    return await pedall_error(request, BadRequestError(problems))


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The pedall HTTP service for ``settings`` (defaults: localhost, read-only).

    The knowledge graph loads when the app starts (its lifespan), not here.
    """
    settings = settings or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await run_in_threadpool(open_service, settings)
        app.state.pedall = state
        try:
            yield
        finally:
            state.query_pool.close()
            state.upload_pool.workers.close()

    app = FastAPI(
        title="pedall",
        version=__version__,
        summary="Pediatric ALL knowledge graph: SPARQL, linked data, risk classification.",
        description=RESEARCH_NOTICE,
        docs_url=None,  # FastAPI's docs pages load their scripts from a CDN; /docs is ours
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(ReadOnlyCorsMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        allowed_hosts=(*LOOPBACK_HOSTS, settings.host, *settings.allowed_hosts),
    )
    app.add_exception_handler(PedallError, pedall_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, parameter_error)
    app.include_router(sparql_router())
    app.include_router(linked_data_router())
    app.include_router(ontology_docs_router())
    app.include_router(patient_router())
    app.include_router(report_router())
    app.include_router(shacl_router())
    app.include_router(pages_router())
    app.mount(
        "/static", StaticFiles(directory=package_folder("pedall.service", "static")), name="static"
    )

    @app.get("/health", tags=["Service"])
    def health(request: Request) -> dict[str, object]:
        """Whether the service is up, with its query and upload workers."""
        state: ServiceState = request.app.state.pedall
        return {
            "status": "ok",
            "version": __version__,
            "query_workers": state.query_pool.worker_pids(),
            "idle_query_workers": state.query_pool.idle_workers(),
            "long_query_workers": state.query_pool.long_worker_pids(),
            "query_timeout_seconds": settings.query_timeout,
            "upload_workers": state.upload_pool.workers.worker_pids(),
            "idle_upload_workers": state.upload_pool.workers.idle_workers(),
            "upload_timeout_seconds": settings.upload_timeout,
        }

    return app
