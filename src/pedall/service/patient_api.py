"""``POST /classify`` and ``POST /validate``: patient data in (CSV, Turtle, JSON-LD or
RDF/XML by ``Content-Type``; phenopackets as ``application/json`` by content or
``application/x-phenopacket+json``), the library API's JSON out (a FHIR R4 Bundle for
``Accept: application/fhir+json`` on ``/classify``; ``?summary=true`` adds the cohort
summary to the JSON, as ``pedall classify --format json --summary`` does).

Patient data lives only for the request: it is not stored, not logged (the access log
has no bodies) and answers say ``Cache-Control: no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from pedall import RESEARCH_NOTICE
from pedall.api import ClassifyOutcome, classify_input, validate_input
from pedall.classify.schemes import read_schemes
from pedall.cohort.summary import summarize
from pedall.errors import NotAcceptableError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.readers.registry import READERS, reader_for_media_type
from pedall.service.negotiation import TURTLE, negotiate
from pedall.service.request_body import read_body
from pedall.service.state import service_state
from pedall.writers.fhir import MEDIA_TYPE as FHIR_JSON
from pedall.writers.fhir import fhir_bundle

SOURCE = "<request>"
NO_STORE = {"Cache-Control": "no-store"}
VALIDATION_ANSWERS = {"application/json": "application/json", TURTLE: TURTLE}
# "Accept: application/fhir+json" asks for a FHIR R4 Bundle (pedall.writers.fhir).
CLASSIFY_ANSWERS = {"application/json": "application/json", FHIR_JSON: FHIR_JSON}

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


def patient_router() -> APIRouter:
    """The routes that classify and validate posted patient data."""
    router = APIRouter(tags=["Patients"])

    @router.post("/classify", response_class=JSONResponse, openapi_extra=PATIENT_BODY)
    async def classify(request: Request, summary: bool = False) -> Response:
        """Classify every patient posted; 200 when all were read, 422 with the located
        errors (and the results of the good rows) otherwise, 400 for unreadable input.
        ``summary=true`` adds the cohort summary (``summary``) to the JSON answer."""
        posted = await patient_payload(request)
        knowledge = service_state(request).knowledge
        outcome = await run_in_threadpool(
            classify_input, knowledge, posted[0], posted[1], source=SOURCE
        )
        status = 422 if outcome.has_errors else 200
        if negotiate(request.headers.get("accept"), CLASSIFY_ANSWERS) == FHIR_JSON:
            bundle = fhir_bundle(knowledge, outcome.results, outcome.issues)
            return JSONResponse(bundle, status, NO_STORE, media_type=FHIR_JSON)
        answer = outcome.as_json()
        if summary:
            answer["summary"] = await run_in_threadpool(_summary, knowledge, outcome)
        answer["notice"] = RESEARCH_NOTICE
        return JSONResponse(answer, status_code=status, headers=NO_STORE)

    @router.post("/validate", response_class=JSONResponse, openapi_extra=PATIENT_BODY)
    async def validate(request: Request) -> Response:
        """Check posted patient data against the data-quality shapes: the JSON report
        (or, for "Accept: text/turtle", the SHACL report graph); 422 when it does not
        conform, 400 for unreadable input."""
        posted = await patient_payload(request)
        answer_type = negotiate(request.headers.get("accept"), VALIDATION_ANSWERS)
        if answer_type is None:
            raise NotAcceptableError("answers are application/json or text/turtle")
        knowledge = service_state(request).knowledge
        outcome = await run_in_threadpool(
            validate_input, knowledge, posted[0], posted[1], source=SOURCE
        )
        status = 200 if outcome.conforms else 422
        if answer_type == TURTLE:
            report = outcome.report_graph.serialize(format="turtle", encoding="utf-8")
            return Response(report, status_code=status, media_type=TURTLE, headers=NO_STORE)
        answer = {**outcome.as_json(), "notice": RESEARCH_NOTICE}
        return JSONResponse(answer, status_code=status, headers=NO_STORE)

    return router


def _summary(knowledge: KnowledgeBase, outcome: ClassifyOutcome) -> dict[str, object]:
    return summarize(outcome.results, outcome.issues, read_schemes(knowledge.graph)).as_dict()
