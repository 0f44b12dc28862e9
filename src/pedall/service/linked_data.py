"""Linked data: every term of the pedall namespace dereferences at ``/id/{local-name}``
(a page for a person, RDF for a machine; a synonym redirects to its term, the ontology's
versionIRI to ``/ontology/{version}``), ``/search`` finds terms, and the whole graph
downloads in each format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pedall import RESEARCH_NOTICE
from pedall.errors import BadRequestError, NotAcceptableError, UnknownTermError
from pedall.query.export import EXPORT_FORMATS
from pedall.service.graph_downloads import EXPORT_NAMES_BY_MEDIA_TYPE
from pedall.service.negotiation import (
    DOWNLOAD_EXTENSIONS,
    GRAPH_FORMATS,
    GRAPH_TYPES,
    HTML,
    TERM_TYPES,
    format_override,
    negotiate,
)
from pedall.service.state import service_state
from pedall.service.term_views import compact, local_name, term_iri

# Characters a local name keeps unescaped in a Location (RFC 3986 pchar).
NAME_SAFE = "/:@!$&'()*+,;=-._~"


Endpoint = TypeVar("Endpoint", bound=Callable[..., object])


def get_and_head(router: APIRouter, path: str, *, name: str) -> Callable[[Endpoint], Endpoint]:
    """Route GET and HEAD of ``path`` to the decorated endpoint; only GET is in the OpenAPI
    schema (one route for both would give its two operations one operation ID)."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, name=name, methods=["GET"], response_class=Response)
        router.add_api_route(
            path, endpoint, methods=["HEAD"], response_class=Response, include_in_schema=False
        )
        return endpoint

    return register


def linked_data_router() -> APIRouter:
    """The routes of term dereferencing and graph downloads."""
    router = APIRouter(tags=["Linked data"])

    @get_and_head(router, "/id/{name:path}", name="term")
    def term(
        request: Request,
        name: str,
        inferred: Annotated[bool, Query(description="Add inferred triples (RDF only).")] = False,
        format: Annotated[str | None, Query(description="ttl, jsonld, nt or xml.")] = None,
    ) -> Response:
        """The term pedall:{name}: HTML for a browser, Turtle, JSON-LD, N-Triples or
        RDF/XML by Accept (or format); a synonym or replaced name redirects (303) to
        its term; 404 for a name the graph does not know (a page with suggestions for a
        browser)."""
        state = service_state(request)
        iri = term_iri(name)
        if str(iri) == state.statistics.version_iri:  # the release's versionIRI
            location = str(request.url_for("ontology_version", version=name.rsplit("/", 1)[-1]))
            if request.url.query:
                location += f"?{request.url.query}"
            return RedirectResponse(location, status_code=303, headers={"Vary": "Accept"})
        target = state.term_views.resolve(name)
        if target is not None:
            # a synonym or a replaced IRI: See Other, keeping format and inferred
            location = "/id/" + quote(local_name(target) or "", safe=NAME_SAFE)
            if request.url.query:
                location += f"?{request.url.query}"
            return RedirectResponse(location, status_code=303, headers={"Vary": "Accept"})
        if not state.term_views.knows(iri):
            raise UnknownTermError(f"no term {compact(iri)} in the knowledge graph")
        media_type = format_override(format, GRAPH_FORMATS, GRAPH_TYPES) or negotiate(
            request.headers.get("accept"), TERM_TYPES
        )
        headers = {"Vary": "Accept"}
        if media_type is None:
            raise NotAcceptableError(
                "not acceptable; offered: " + ", ".join(sorted(set(TERM_TYPES.values())))
            )
        if media_type == HTML:
            page = state.term_views.page(iri)
            return state.templates.TemplateResponse(
                request,
                "term.html",
                {"page": page, "notice": RESEARCH_NOTICE, "formats": EXPORT_FORMATS},
                headers=headers,
            )
        body = state.term_views.serialized(iri, inferred, media_type)
        return Response(body, media_type=media_type, headers=headers)

    @router.get("/search", name="search", response_class=Response)
    def search(
        request: Request,
        q: Annotated[str, Query(max_length=200, description="Label, synonym or ID.")] = "",
        format: Annotated[str | None, Query(description="json for JSON.")] = None,
    ) -> Response:
        """Terms whose label, synonym (skos:altLabel), local name or mapped ID
        (``HGNC:1014``, ``NCIT:C8936``) matches q: a page for a browser, else JSON."""
        state = service_state(request)
        hits = state.term_views.search.search(q)
        headers = {"Vary": "Accept"}
        wants_html = format != "json" and negotiate(request.headers.get("accept"), SEARCH_TYPES)
        if wants_html == HTML:
            context = {"query": q, "hits": hits, "notice": RESEARCH_NOTICE}
            return state.templates.TemplateResponse(
                request, "search.html", context, headers=headers
            )
        body = {"query": q, "results": [hit.as_json() for hit in hits]}
        return JSONResponse(body, headers=headers)

    @router.get("/terms", name="terms", response_class=Response)
    def terms(request: Request) -> Response:
        """A page listing every term of the namespace by kind."""
        state = service_state(request)
        return state.templates.TemplateResponse(
            request, "terms.html", {"groups": state.term_views.index(), "notice": RESEARCH_NOTICE}
        )

    @get_and_head(router, "/graph.{extension}", name="graph_file")
    def graph_file(
        request: Request,
        extension: str,
        inferred: Annotated[bool, Query(description="Include the inferred triples.")] = False,
    ) -> Response:
        """The whole graph as graph.ttl, graph.jsonld, graph.nt or graph.rdf."""
        if extension not in DOWNLOAD_EXTENSIONS:
            raise UnknownTermError(f"no download graph.{extension}; try graph.ttl")
        return download_response(request, DOWNLOAD_EXTENSIONS[extension], inferred=inferred)

    @get_and_head(router, "/download", name="download")
    def download(
        request: Request,
        format: Annotated[str, Query(description="ttl, jsonld, nt or xml.")] = "ttl",
        inferred: Annotated[bool, Query(description="Include the inferred triples.")] = False,
    ) -> Response:
        """The whole graph in format, as a file to save."""
        media_type = format_override(format, GRAPH_FORMATS, GRAPH_TYPES)
        if media_type is None:
            raise BadRequestError(f"unknown format {format!r}; expected ttl, jsonld, nt or xml")
        return download_response(request, media_type, inferred=inferred)

    return router


# JSON first: a client that accepts anything (curl's */*) gets JSON, a browser its page.
SEARCH_TYPES = {"application/json": "application/json", HTML: HTML, "application/xhtml+xml": HTML}


def unknown_term_page(request: Request, error: UnknownTermError) -> Response | None:
    """For a browser asking for an unknown ``/id/{name}``: a 404 page that says so, with
    the terms spelled closest to it and a search box; None for any other request."""
    name = request.url.path.removeprefix("/id/")
    if (
        not request.url.path.startswith("/id/")
        or negotiate(request.headers.get("accept"), TERM_TYPES) != HTML
    ):
        return None
    state = service_state(request)
    context = {
        "name": name,
        "message": str(error),
        "suggestions": state.term_views.search.suggest(name),
        "notice": RESEARCH_NOTICE,
    }
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    return state.templates.TemplateResponse(
        request, "unknown_term.html", context, status_code=404, headers=headers
    )


def download_response(request: Request, media_type: str, *, inferred: bool) -> Response:
    """The whole graph in ``media_type`` as an attachment named after what it holds."""
    state = service_state(request)
    format_name = EXPORT_NAMES_BY_MEDIA_TYPE[media_type]
    body = state.downloads.get(format_name, inferred=inferred)
    suffix = EXPORT_FORMATS[format_name].suffix
    filename = f"pedall{'-inferred' if inferred else ''}{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)
