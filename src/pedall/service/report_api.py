"""``POST /report``: patient data in, as ``POST /classify`` takes it, and the cohort report
out (``text/html``, the page ``pedall report`` writes), never stored.

The report is built in an upload worker (``pedall.service.upload_workers``), off the event
loop, under the same body limit, input limits, time limit and memory cap as the other
patient endpoints; it answers 422 when some row had errors, as ``/classify`` does, with
those errors in the report's data-quality section. Its Content-Security-Policy is the
report's own (inline styles and SVG, nothing loaded).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from pedall.cohort.report import CONTENT_SECURITY_POLICY
from pedall.service.patient_api import NO_STORE, PATIENT_BODY, patient_payload
from pedall.service.state import service_state
from pedall.service.upload_answers import HTML
from pedall.service.upload_workers import UploadRequest

REPORT_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'",
    "Content-Disposition": 'inline; filename="pedall-report.html"',
}


def report_router() -> APIRouter:
    """The route that answers the cohort report of posted patient data."""
    router = APIRouter(tags=["Patients"])

    @router.post("/report", response_class=HTMLResponse, openapi_extra=PATIENT_BODY)
    async def report(request: Request) -> Response:
        """The cohort report of every patient posted, one self-contained HTML page: 200,
        or 422 when some row had errors (they are in the report), 400 for unreadable
        input, 413 over a limit (time, memory, columns, nesting)."""
        payload, media_type = await patient_payload(request)
        upload = UploadRequest("report", payload, media_type, HTML)
        made = await service_state(request).upload_pool.answer(upload)
        return Response(made.body, made.status, REPORT_HEADERS, media_type=made.media_type)

    return router
