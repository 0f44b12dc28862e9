"""The HTTP service: ``create_app(settings)`` assembles the SPARQL endpoint, linked data,
the patient endpoints and the pages; nothing is built at import time.

Startup loads the knowledge base, computes its inferences once, and starts the query
workers with the graph (inferred triples included) and the upload workers that read
patient uploads. Errors map to HTTP statuses and one JSON error body in one place
(``ERROR_STATUS``, ``answer_error``): routers raise ``pedall.errors``, never answer an error
themselves.
"""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount

from pedall import RESEARCH_NOTICE, __version__
from pedall.errors import (
    BadRequestError,
    DataFileError,
    DocsUnavailableError,
    ForbiddenQueryError,
    InputFormatError,
    InputLimitError,
    KaryotypeError,
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
from pedall.service.security_headers import (
    LOOPBACK_HOSTS,
    SECURITY_HEADERS,
    SecurityHeadersMiddleware,
)
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
    (KaryotypeError, 422),  # a cell's problem, as PatientDataError's
    (QueryEngineError, 500),
    (QueryWorkerError, 503),
    (DocsUnavailableError, 503),
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


# Starlette's own errors (no such route, wrong method), by status.
HTTP_ERROR_CODES = {404: "not-found", 405: "method-not-allowed"}
INTERNAL_ERROR = "internal-error"
INTERNAL_MESSAGE = "the service failed on this request; its log says why"


@dataclass(frozen=True)
class ErrorAnswer:
    """What an error answers: its status, ``error`` code, message and extra headers."""

    status: int
    code: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)


def error_answer(error: Exception) -> ErrorAnswer:
    """The answer to ``error``: a ``PedallError`` by ``ERROR_STATUS``; Starlette's own
    (no such route, wrong method) by its status, with its headers (``Allow``); a
    parameter FastAPI could not read (``inferred=maybe``) as ``BadRequestError``; any
    other failure 500 ``internal-error``, its text left to the log (never to a client)."""
    if isinstance(error, PedallError):
        return ErrorAnswer(status_for(error), error_code(error), str(error))
    if isinstance(error, StarletteHTTPException):
        code = HTTP_ERROR_CODES.get(error.status_code, "http-error")
        return ErrorAnswer(error.status_code, code, str(error.detail), error.headers or {})
    if isinstance(error, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        return error_answer(BadRequestError(problems))
    return ErrorAnswer(500, INTERNAL_ERROR, INTERNAL_MESSAGE)


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """The methods the routes of the request's path take, for a 405's ``Allow`` (a mounted
    app, such as ``/static``, says its own: empty here)."""
    scope = request.scope
    root_path = scope.get("app_root_path", scope.get("root_path", ""))
    return ", ".join(
        method
        for method in HTTP_METHODS
        if any(
            route.matches(
                {"type": "http", "path": scope["path"], "root_path": root_path, "method": method}
            )[0]
            is Match.FULL
            for route in request.app.router.routes
            if not isinstance(route, Mount)
        )
    )


async def answer_error(request: Request, error: Exception) -> Response:
    """The one exception handler: every error a router raises answers with its status
    and ``{"error": code, "message": text}`` (``error_answer``), ``Cache-Control:
    no-store`` and ``Vary: Accept``; on ``/sparql`` the message is plain text, as SPARQL
    clients expect. A browser asking for an unknown term gets a page with suggestions."""
    if isinstance(error, UnknownTermError) and (page := unknown_term_page(request, error)):
        return page
    answer = error_answer(error)
    headers = {**answer.headers, "Cache-Control": "no-store", "Vary": "Accept"}
    if "Allow" in headers:  # Starlette's names the methods of the path's first route only
        headers["Allow"] = allowed_methods(request) or headers["Allow"]
    if answer.code == INTERNAL_ERROR:  # answered outside the middleware that adds these
        headers = {**SECURITY_HEADERS, **headers}
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(answer.message + "\n", answer.status, headers)
    body = {"error": answer.code, "message": answer.message}
    return JSONResponse(body, answer.status, headers)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The pedall HTTP service for ``settings`` (defaults: localhost, read-only).

    The knowledge graph loads when the app starts (its lifespan), not here.
    """
    settings = settings or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await run_in_threadpool(open_service, settings)
        app.state.pedall = state
        # What the service holds for its lifetime (the graphs, the term views) is frozen
        # for the garbage collector, so its full collections never walk it: one took about
        # 140 ms in the middle of a request.
        gc.collect()
        gc.freeze()
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
    for kind in (PedallError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, answer_error)
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
