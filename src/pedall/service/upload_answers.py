"""The answers of ``POST /report`` and ``POST /shacl``, made in an upload worker
(``pedall.service.upload_workers``) as those of ``/classify`` and ``/validate`` are: the
parent reads the request and passes its bytes on; reading, classifying or validating, and
serializing happen here, under the workers' time limit and memory cap.

- ``report``: the cohort report of posted patient data (the page ``pedall report``
  writes), 200, or 422 when some row had errors (they are in the page). matplotlib is
  imported on the first report a worker draws (``pedall.cohort.report_charts``), never
  when the worker starts.
- ``shacl``: a team's own SHACL shapes run on the posted data graph
  (``pedall.validate.custom_shapes``): 200 whatever the verdict, pedall's located issues
  as JSON, or the report graph in the negotiated RDF format (Turtle with the research
  notice as a comment line); rows pedall could not read raise ``PatientDataError`` for
  an RDF answer, which a report graph cannot hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pedall import RESEARCH_NOTICE
from pedall.api import classify_input
from pedall.classify.schemes import read_schemes
from pedall.cohort.report import cohort_report
from pedall.cohort.report_data import ReportContent
from pedall.errors import PatientDataError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.service.graph_downloads import serialize_for
from pedall.service.negotiation import TURTLE
from pedall.toolkit import toolkit
from pedall.validate.custom_shapes import RegistryShapes
from pedall.validate.shape_issues import ShapeIssue
from pedall.validate.shapes_data import DataInput

SOURCE = "<request>"  # the name issues give an upload
JSON = "application/json"
HTML = "text/html"
SHAPES_SOURCE = "shapes"  # the name a syntax error in posted shapes gives them


@dataclass(frozen=True)
class UploadAnswer:
    """An answer ready to send: its status, media type and body."""

    status: int
    media_type: str
    body: bytes


def json_body(document: object) -> bytes:
    """``document`` as Starlette's ``JSONResponse`` writes it (the same bytes)."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def build_report(
    knowledge: KnowledgeBase,
    payload: bytes,
    media_type: str,
    limits: InputLimits = DEFAULT_LIMITS,
) -> tuple[str, bool]:
    """The report of posted patient data (read within ``limits``), and whether some row
    had errors."""
    content = ReportContent.for_schemes(read_schemes(knowledge.graph))
    outcome = classify_input(knowledge, payload, media_type, source=SOURCE, limits=limits)
    content.add_classified(SOURCE, outcome)
    return cohort_report(knowledge, content), outcome.has_errors


def report_answer(
    knowledge: KnowledgeBase, payload: bytes, media_type: str, limits: InputLimits
) -> UploadAnswer:
    """The answer of ``POST /report``: the page, 200, or 422 when some row had errors."""
    html, has_errors = build_report(knowledge, payload, media_type, limits)
    return UploadAnswer(422 if has_errors else 200, HTML, html.encode("utf-8"))


def shacl_answer(
    knowledge: KnowledgeBase, data: DataInput, shapes_text: str, answer_type: str
) -> UploadAnswer:
    """The answer of ``POST /shacl``: the shapes checked (refused ones raise before
    anything runs), then run on ``data``; the located issues for ``answer_type`` JSON,
    else the report graph in ``answer_type`` (one of the export formats)."""
    registry = RegistryShapes.from_texts([(SHAPES_SOURCE, shapes_text)])
    outcome = registry.check([data], toolkit(knowledge))
    if answer_type == JSON:
        return UploadAnswer(200, JSON, json_body({**outcome.as_json(), "notice": RESEARCH_NOTICE}))
    # Rows pedall could not read: the report graph cannot say so.
    unread = [issue for issue in outcome.errors if not isinstance(issue, ShapeIssue)]
    if unread:
        raise PatientDataError(unread)
    body = serialize_for(outcome.report, answer_type)
    if answer_type == TURTLE:
        body = f"# {RESEARCH_NOTICE}\n".encode() + body
    return UploadAnswer(200, answer_type, body)
