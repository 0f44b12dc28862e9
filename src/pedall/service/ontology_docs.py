"""``/ontology``: the ontology document. A browser gets its HTML documentation (pyLODE,
rendered on the first request and kept for the life of the app); a machine gets the
ontology's RDF (the whole graph, as ``/graph.ttl`` and ``pedall export`` give it), by
``Accept`` or ``format`` as a term IRI negotiates (``TERM_TYPES``). The release's
versionIRI (``.../ontology/2026-12-02``) dereferences at ``/ontology/{version}`` with the
same answer, and at ``/id/ontology/{version}`` by a redirect here; another version is 404.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from pedall.errors import DocsUnavailableError, NotAcceptableError, UnknownTermError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import ONTOLOGY_IRI
from pedall.query.ontology_docs import OntologyDocs, render_ontology_docs
from pedall.service.graph_downloads import EXPORT_NAMES_BY_MEDIA_TYPE
from pedall.service.linked_data import get_and_head
from pedall.service.negotiation import (
    GRAPH_FORMATS,
    GRAPH_TYPES,
    HTML,
    TERM_TYPES,
    format_override,
    negotiate,
)
from pedall.service.security_headers import SECURITY_HEADERS
from pedall.service.state import service_state

STRICT_STYLES = "style-src 'self'"


def docs_security_policy(docs: OntologyDocs) -> str:
    """The service's Content-Security-Policy, with the page's inline stylesheet (and no
    other) allowed by its hash."""
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    return policy.replace(STRICT_STYLES, " ".join((STRICT_STYLES, *docs.style_sources)), 1)


class RenderedDocs:
    """The documentation of one knowledge base, rendered once (other requests wait for it)."""

    def __init__(self) -> None:
        self._docs: OntologyDocs | None = None
        self._lock = threading.Lock()

    def get(self, knowledge: KnowledgeBase) -> OntologyDocs:
        with self._lock:
            if self._docs is None:
                self._docs = render_ontology_docs(knowledge)
            return self._docs


def ontology_docs_router() -> APIRouter:
    """The ``/ontology`` route, with its own cache of the rendered page."""
    router = APIRouter(tags=["Linked data"])
    rendered = RenderedDocs()

    @get_and_head(router, "/ontology", name="ontology")
    async def ontology(
        request: Request,
        inferred: Annotated[bool, Query(description="Add inferred triples (RDF only).")] = False,
        format: Annotated[str | None, Query(description="ttl, jsonld, nt or xml.")] = None,
    ) -> Response:
        """The ontology: HTML documentation for a browser; Turtle, JSON-LD, N-Triples or
        RDF/XML of the whole graph by Accept (or format); 406 for anything else."""
        return await ontology_document(request, inferred, format)

    @get_and_head(router, "/ontology/{version}", name="ontology_version")
    async def ontology_version(
        request: Request,
        version: str,
        inferred: Annotated[bool, Query(description="Add inferred triples (RDF only).")] = False,
        format: Annotated[str | None, Query(description="ttl, jsonld, nt or xml.")] = None,
    ) -> Response:
        """The ontology at its versionIRI (the release this service holds), answered as
        ``/ontology``; 404 for another version."""
        current = service_state(request).statistics.version_iri
        if current is None or f"{ONTOLOGY_IRI}/{version}" != current:
            raise UnknownTermError(
                f"no version {version!r} of the ontology here; this service holds {current}"
            )
        return await ontology_document(request, inferred, format)

    async def ontology_document(request: Request, inferred: bool, format: str | None) -> Response:
        state = service_state(request)
        media_type = format_override(format, GRAPH_FORMATS, GRAPH_TYPES) or negotiate(
            request.headers.get("accept"), TERM_TYPES
        )
        headers = {"Vary": "Accept"}
        if media_type is None:
            raise NotAcceptableError(
                "not acceptable; offered: " + ", ".join(sorted(set(TERM_TYPES.values())))
            )
        if media_type != HTML:
            body = await run_in_threadpool(
                state.downloads.get, EXPORT_NAMES_BY_MEDIA_TYPE[media_type], inferred=inferred
            )
            return Response(body, media_type=media_type, headers=headers)
        try:
            docs = await run_in_threadpool(rendered.get, state.knowledge)
        except ModuleNotFoundError as error:  # pyLODE is an extra: say how to get it
            raise DocsUnavailableError(str(error)) from None
        headers["Content-Security-Policy"] = docs_security_policy(docs)
        return Response(docs.html, media_type=HTML, headers=headers)

    return router
