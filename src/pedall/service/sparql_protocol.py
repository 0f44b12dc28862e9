"""The SPARQL 1.1 Protocol at ``/sparql``: queries by GET, by POST form and by POST
``application/sparql-query``; a service description for a GET without a query.

Everything a client sends is run by the query workers (``pedall.service.query_workers``) under
the time limit; this module only reads the protocol and writes the answer.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from pedall.errors import (
    ForbiddenQueryError,
    NotAcceptableError,
    QuerySyntaxError,
    ReadOnlyError,
    UnsupportedMediaTypeError,
)
from pedall.service.description import ServiceAddresses, service_description
from pedall.service.graph_downloads import serialize_for
from pedall.service.negotiation import GRAPH_FORMATS, GRAPH_TYPES, HTML, format_override, negotiate
from pedall.service.query_workers import QueryRequest
from pedall.service.request_body import read_body
from pedall.service.state import ServiceState, service_state

# Every answer of these routes depends on Accept (RFC 9110, section 12.5.5).
VARY = {"Vary": "Accept"}
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
READ_ONLY_MESSAGE = "SPARQL Update is refused: the knowledge graph is read-only"
DATASET_MESSAGE = (
    "default-graph-uri and named-graph-uri are refused: queries run on the knowledge graph only"
)

_POST_BODY = {
    "requestBody": {
        "content": {
            FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
            SPARQL_QUERY: {"schema": {"type": "string"}},
        }
    }
}


def sparql_router() -> APIRouter:
    """The routes of the SPARQL endpoint."""
    router = APIRouter(tags=["SPARQL"])

    @router.get("/sparql", name="sparql", response_class=Response)
    async def sparql_get(
        request: Request,
        query: Annotated[str | None, Query(description="The SPARQL query.")] = None,
        format: Annotated[
            str | None, Query(description="Answer format (json, xml, csv, tsv, ttl, ...).")
        ] = None,
        default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
        named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
        update: Annotated[str | None, Query(include_in_schema=False)] = None,
    ) -> Response:
        """Run a query given in the URL; without one, the service description (or the
        query page for a browser)."""
        state = service_state(request)
        if update is not None:
            raise ReadOnlyError(READ_ONLY_MESSAGE)
        if default_graph_uri or named_graph_uri:
            raise ForbiddenQueryError(DATASET_MESSAGE)
        accept = request.headers.get("accept")
        if query is None:
            return describe_service(request, state, accept, format)
        return await answer(request, query, accept, format)

    @router.post("/sparql", response_class=Response, openapi_extra=_POST_BODY)
    async def sparql_post(request: Request) -> Response:
        """Run a query sent as a form ("query=") or as "application/sparql-query"."""
        state = service_state(request)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == SPARQL_UPDATE:
            raise ReadOnlyError(READ_ONLY_MESSAGE)
        body = await read_body(request, state.settings.max_body_bytes)
        parameters = parse_qs(request.url.query)
        if content_type == FORM:
            parameters.update(parse_qs(body.decode("utf-8", errors="replace")))
            text = _single(parameters, "query")
        elif content_type == SPARQL_QUERY:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise QuerySyntaxError(f"the query is not UTF-8 text: {error}") from None
        else:
            raise UnsupportedMediaTypeError(
                f"unsupported Content-Type {content_type or '(none)'!r}; "
                f"send {FORM} or {SPARQL_QUERY}"
            )
        if "update" in parameters:
            raise ReadOnlyError(READ_ONLY_MESSAGE)
        if "default-graph-uri" in parameters or "named-graph-uri" in parameters:
            raise ForbiddenQueryError(DATASET_MESSAGE)
        if text is None:
            raise QuerySyntaxError("no query: send the SPARQL text in the 'query' field")
        # SPARQLWrapper repeats ``format`` (a keyword, then a media type): the first wins.
        format_keyword = parameters.get("format", [None])[0]
        return await answer(request, text, request.headers.get("accept"), format_keyword)

    @router.get("/.well-known/void", name="void", response_class=Response)
    def void(
        request: Request,
        format: Annotated[str | None, Query(description="ttl, jsonld, nt or xml.")] = None,
    ) -> Response:
        """The VoID description of the dataset (with the service description), at the
        well-known place VoID defines."""
        accept = request.headers.get("accept")
        return describe_service(request, service_state(request), accept, format, pages=False)

    return router


def _single(parameters: dict[str, list[str]], name: str) -> str | None:
    """The one value of a protocol parameter; a repeated one is a client error."""
    values = parameters.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise QuerySyntaxError(f"the parameter {name!r} was given {len(values)} times")
    return values[0]


async def answer(
    request: Request, text: str, accept: str | None, format_keyword: str | None
) -> Response:
    """Run ``text`` on the query workers and answer in the negotiated format. The base
    IRI of a query without ``BASE`` is the endpoint's own IRI (SPARQL 1.1 Query, section
    4.1.1.1: the base of the retrieval), so relative IRIs resolve against ``/sparql``."""
    query = QueryRequest(text, accept, format_keyword, str(request.url_for("sparql")))
    result = await service_state(request).query_pool.run(query)
    return Response(result.body, media_type=result.media_type, headers=VARY)


def describe_service(
    request: Request,
    state: ServiceState,
    accept: str | None,
    format_keyword: str | None,
    *,
    pages: bool = True,
) -> Response:
    """The service description in an RDF format, or (with ``pages``) the query page for
    a browser."""
    media_type = format_override(format_keyword, GRAPH_FORMATS, GRAPH_TYPES)
    if media_type is None:
        media_type = negotiate(accept, {**GRAPH_TYPES, HTML: HTML} if pages else GRAPH_TYPES)
    if media_type == HTML:
        return HTMLResponse(
            status_code=303, headers={"Location": str(request.url_for("query_page")), **VARY}
        )
    if media_type is None:
        offered = ", ".join(sorted(set(GRAPH_TYPES.values())))
        raise NotAcceptableError(f"not acceptable; offered: {offered}")
    addresses = ServiceAddresses(str(request.url_for("sparql")), str(request.base_url))
    graph = service_description(addresses, state.statistics)
    return Response(serialize_for(graph, media_type), media_type=media_type, headers=VARY)
