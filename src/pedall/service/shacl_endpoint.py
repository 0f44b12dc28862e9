"""``POST /shacl``: a SHACL validation service in the style of Apache Jena Fuseki's
(``/ds/shacl``), for pipelines that validate their data against their own shapes.

Fuseki validates a graph it stores (``?graph=``) against the shapes posted as the body;
pedall stores no data, so the data graph and the shapes both come with the request:

- ``multipart/form-data`` with a part ``data`` (the data graph; its format from the
  part's ``Content-Type``, else from its file name's extension, else Turtle) and a part
  ``shapes`` (Turtle), as ``curl -F data=@patients.ttl -F shapes=@shapes.ttl`` sends;
- or the data graph as the body (its format from ``Content-Type``) and the shapes'
  Turtle text in the ``shapes`` query parameter.

The data may be Turtle, N-Triples, JSON-LD (inline contexts only), RDF/XML (no DTD), or a
pedall patient table (CSV, Parquet) or phenopackets, which become pedall's patient graph
(``pedall.validate.shapes_data``). Shapes that reach out (SPARQL ``SERVICE``, ``FROM``,
``LOAD``, ``owl:imports``, ``sh:shapesGraph`` ...) get 400 before anything runs.

The answer is 200 whether the data conform or not (the report says, as Fuseki's does):
the SHACL validation report as Turtle (the default), JSON-LD, N-Triples or RDF/XML by
``Accept``, or pedall's located issues for ``Accept: application/json``. Rows of a table
pedall cannot read are listed in that JSON; a report graph cannot hold them, so an RDF
answer is then 422 with the located error. Bodies are bounded by ``--max-body-bytes``;
nothing posted is stored or logged. The parent reads the request; the shapes are checked
and run in an upload worker (``pedall.service.upload_workers``, ``upload_answers``), off
the event loop, under the upload time limit and memory cap (over either: 413).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from pathlib import PurePath

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from pedall.errors import BadRequestError, NotAcceptableError
from pedall.patients.readers.registry import reader_for_path
from pedall.service.negotiation import GRAPH_TYPES, N_TRIPLES, TURTLE, negotiate
from pedall.service.request_body import read_body
from pedall.service.state import service_state
from pedall.service.upload_answers import JSON
from pedall.service.upload_workers import UploadRequest
from pedall.validate.shapes_data import DataInput

# The report graph in every RDF format (Turtle first: the default), or pedall's JSON.
SHACL_ANSWERS: Mapping[str, str] = {
    TURTLE: TURTLE,
    **{media_type: kind for media_type, kind in GRAPH_TYPES.items() if media_type != JSON},
    JSON: JSON,
}
DATA, SHAPES = "data", "shapes"
NO_STORE = {"Cache-Control": "no-store"}
_SHACL_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        DATA: {"type": "string", "format": "binary"},
                        SHAPES: {"type": "string", "format": "binary"},
                    },
                    "required": [DATA, SHAPES],
                }
            },
            TURTLE: {"schema": {"type": "string"}},
        },
    }
}


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


async def shacl_request(request: Request, shapes: str | None) -> tuple[DataInput, str]:
    """The posted data graph and the shapes' text (see the module docstring)."""
    limit = service_state(request).settings.max_body_bytes
    content_type = request.headers.get("content-type", "")
    body = await read_body(request, limit)
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        if shapes is None:
            raise BadRequestError(
                "no shapes: send them in the shapes parameter, or post multipart/form-data "
                "with the parts data and shapes"
            )
        return DataInput(body, content_type or TURTLE, "data"), shapes
    parser = MultiPartParser(request.headers, _once(body), max_files=2, max_fields=2)
    parser.max_part_size = limit
    parser.spool_max_size = limit  # a file part stays in memory: nothing posted is stored
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise BadRequestError(f"cannot read the multipart body: {error.message}") from None
    try:
        parts = {name: form.get(name) for name in (DATA, SHAPES)}
        missing = [name for name, part in parts.items() if part is None]
        if missing:
            raise BadRequestError(
                f"multipart/form-data needs the parts data and shapes; no {missing[0]}"
            )
        data, shapes_text = parts[DATA], await _text(parts[SHAPES])
        if isinstance(data, UploadFile):
            posted = DataInput(await data.read(), _media_type(data), data.filename or DATA)
            return posted, shapes_text
        return DataInput(str(data).encode("utf-8"), TURTLE, DATA), shapes_text
    finally:
        await form.close()


def _media_type(part: UploadFile) -> str:
    """A file part's format: its Content-Type, unless absent or generic; then its name's."""
    declared = (part.content_type or "").split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    if part.filename and PurePath(part.filename).suffix.lower() == ".nt":
        return N_TRIPLES
    if part.filename and PurePath(part.filename).suffix:
        return reader_for_path(part.filename).media_types[0]
    return TURTLE


async def _text(part: object) -> str:
    raw = await part.read() if isinstance(part, UploadFile) else str(part).encode("utf-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadRequestError(f"the shapes are not UTF-8 text ({error})") from None


def shacl_router() -> APIRouter:
    """The SHACL validation service (``POST /shacl``)."""
    router = APIRouter(tags=["SHACL"])

    @router.post("/shacl", openapi_extra=_SHACL_BODY)
    async def shacl(
        request: Request, shapes: str | None = None, graph: str | None = None
    ) -> Response:
        """Validate the posted data graph against the posted SHACL shapes, with the
        ontology and its inferences in view: the SHACL report (Turtle by default) or,
        for ``Accept: application/json``, pedall's located issues; 200 either way."""
        if graph is not None:
            raise BadRequestError(
                "graph= names a stored graph (as in Fuseki); pedall stores no data: post the "
                "data graph and the shapes together"
            )
        answer_type = negotiate(request.headers.get("accept"), SHACL_ANSWERS)
        if answer_type is None:
            raise NotAcceptableError(
                f"answers are {', '.join(dict.fromkeys(SHACL_ANSWERS.values()))}"
            )
        data, shapes_text = await shacl_request(request, shapes)
        upload = UploadRequest(
            "shacl",
            data.payload,
            data.media_type,
            answer_type,
            source=data.source,
            shapes=shapes_text,
        )
        # The shapes are checked (refused ones raise before anything runs), then run on
        # the data, in an upload worker (pedall.service.upload_answers.shacl_answer).
        made = await service_state(request).upload_pool.answer(upload)
        headers = {**NO_STORE, "Vary": "Accept"}
        return Response(made.body, made.status, headers, media_type=made.media_type)

    return router
