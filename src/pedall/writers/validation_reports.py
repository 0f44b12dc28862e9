"""The reports of ``pedall validate``: for a person (text), for a program (JSON, with the
research-use notice) and the standard SHACL validation report graph (Turtle)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pedall import RESEARCH_NOTICE

if TYPE_CHECKING:
    from pedall.validate.outcome import ValidationOutcome


def text(outcome: ValidationOutcome) -> str:
    """Each problem with its patient, field, value and reason."""
    return outcome.as_text()


def json_report(outcome: ValidationOutcome) -> str:
    """The JSON contract of a validation, the research-use notice last."""
    document = {**outcome.as_json(), "notice": RESEARCH_NOTICE}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def turtle(outcome: ValidationOutcome) -> str:
    """The SHACL validation report graph, with pedall's verdict."""
    return outcome.report_graph.serialize(format="turtle")
