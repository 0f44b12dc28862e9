"""``POST /report``: patient data in, as ``POST /classify`` takes it, and the cohort report
out (``text/html``, the page ``pedall report`` writes), never stored.

The report is built off the event loop (classifying and drawing take a while) under the
same body limit as the other patient endpoints; it answers 422 when some row had errors,
as ``/classify`` does, with those errors in the report's data-quality section. Its
Content-Security-Policy is the report's own (inline styles and SVG, nothing loaded).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from pedall.api import classify_input
from pedall.classify.schemes import read_schemes
from pedall.cohort.report import CONTENT_SECURITY_POLICY, cohort_report
from pedall.cohort.report_data import ReportContent
from pedall.knowledge.base import KnowledgeBase
from pedall.service.patient_api import NO_STORE, PATIENT_BODY, SOURCE, patient_payload
from pedall.service.state import service_state

REPORT_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'",
    "Content-Disposition": 'inline; filename="pedall-report.html"',
}


def build_report(knowledge: KnowledgeBase, payload: bytes, media_type: str) -> tuple[str, bool]:
    """The report of posted patient data, and whether some row had errors."""
    content = ReportContent.for_schemes(read_schemes(knowledge.graph))
    outcome = classify_input(knowledge, payload, media_type, source=SOURCE)
    content.add_classified(SOURCE, outcome)
    return cohort_report(knowledge, content), outcome.has_errors


def report_router() -> APIRouter:
    """The route that answers the cohort report of posted patient data."""
    router = APIRouter(tags=["Patients"])

    @router.post("/report", response_class=HTMLResponse, openapi_extra=PATIENT_BODY)
    async def report(request: Request) -> Response:
        """The cohort report of every patient posted, one self-contained HTML page: 200,
        or 422 when some row had errors (they are in the report), 400 for unreadable
        input."""
        payload, media_type = await patient_payload(request)
        knowledge = service_state(request).knowledge
        html, has_errors = await run_in_threadpool(build_report, knowledge, payload, media_type)
        return HTMLResponse(html, status_code=422 if has_errors else 200, headers=REPORT_HEADERS)

    return router
