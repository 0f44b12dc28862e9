"""``POST /classify`` and ``POST /validate``: patient data in (CSV, Turtle, JSON-LD or
RDF/XML by ``Content-Type``; phenopackets as ``application/json`` by content or
``application/x-phenopacket+json``), the library API's JSON out (a FHIR R4 Bundle for
``Accept: application/fhir+json`` on ``/classify``; ``?summary=true`` adds the cohort
summary to the JSON, as ``pedall classify --format json --summary`` does).

The work (reading within the input limits, checking, classifying, serializing) runs in
the upload workers, off the event loop, under a time limit and a memory cap. Patient data
lives only for the request: it is not stored, not logged (the access log has no bodies)
and answers say ``Cache-Control: no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from pedall.api import ClassifyOutcome
from pedall.classify.schemes import read_schemes
from pedall.cohort.summary import summarize
from pedall.errors import NotAcceptableError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.readers.registry import READERS, reader_for_media_type
from pedall.service.negotiation import TURTLE, negotiate
from pedall.service.request_body import read_body
from pedall.service.state import service_state
from pedall.service.upload_workers import JSON, Section, UploadAnswer, UploadRequest
from pedall.service.upload_workers import SOURCE as SOURCE  # the name issues give an upload
from pedall.writers.fhir import MEDIA_TYPE as FHIR_JSON

NO_STORE = {"Cache-Control": "no-store"}
VALIDATION_ANSWERS = {JSON: JSON, TURTLE: TURTLE}
# "Accept: application/fhir+json" asks for a FHIR R4 Bundle (pedall.writers.fhir).
CLASSIFY_ANSWERS = {JSON: JSON, FHIR_JSON: FHIR_JSON}

PATIENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {reader.media_types[0]: {"schema": {"type": "string"}} for reader in READERS},
    }
}


async def patient_payload(request: Request) -> tuple[bytes, str]:
    """The posted patient data and its media type, once a reader takes that type
    (UnsupportedMediaTypeError, 415, before the body is read otherwise)."""
    content_type = request.headers.get("content-type", "")
    reader_for_media_type(content_type)
    payload = await read_body(request, service_state(request).settings.max_body_bytes)
    return payload, content_type


async def answer(request: Request, upload: UploadRequest) -> Response:
    """The answer of an upload worker (``pedall.service.upload_workers``) to ``upload``."""
    made: UploadAnswer = await service_state(request).upload_pool.answer(upload)
    return Response(made.body, made.status, NO_STORE, media_type=made.media_type)


def patient_router() -> APIRouter:
    """The routes that classify and validate posted patient data (in upload workers)."""
    router = APIRouter(tags=["Patients"])

    @router.post("/classify", response_class=JSONResponse, openapi_extra=PATIENT_BODY)
    async def classify(request: Request, summary: bool = False) -> Response:
        """Classify every patient posted; 200 when all were read, 422 with the located
        errors (and the results of the good rows) otherwise, 400 for unreadable input,
        413 over a limit (time, memory, columns, nesting).
        ``summary=true`` adds the cohort summary (``summary``) to the JSON answer."""
        payload, media_type = await patient_payload(request)
        wanted = negotiate(request.headers.get("accept"), CLASSIFY_ANSWERS)
        sections = ("summary",) if summary else ()
        upload = UploadRequest("classify", payload, media_type, wanted or JSON, sections)
        return await answer(request, upload)

    @router.post("/validate", response_class=JSONResponse, openapi_extra=PATIENT_BODY)
    async def validate(request: Request) -> Response:
        """Check posted patient data against the data-quality shapes: the JSON report
        (or, for "Accept: text/turtle", the SHACL report graph); 422 when it does not
        conform, 400 for unreadable input, 413 over a limit."""
        payload, media_type = await patient_payload(request)
        answer_type = negotiate(request.headers.get("accept"), VALIDATION_ANSWERS)
        if answer_type is None:
            raise NotAcceptableError("answers are application/json or text/turtle")
        return await answer(request, UploadRequest("validate", payload, media_type, answer_type))

    return router


def summary_section(knowledge: KnowledgeBase, outcome: ClassifyOutcome) -> dict[str, object]:
    """The ``summary`` section of a classify answer (``?summary=true``)."""
    return summarize(outcome.results, outcome.issues, read_schemes(knowledge.graph)).as_dict()


# The extra sections a classify answer may carry, made in the upload workers.
ANSWER_SECTIONS: dict[str, Section] = {"summary": summary_section}
