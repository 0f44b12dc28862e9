"""The FHIR of ``pedall classify --format fhir``: one R4 Bundle of mCODE ALL
risk-assessment Observations, the input's issues first (``pedall.writers.fhir``)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import IO

from pedall.errors import PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.writers.fhir import fhir_bundle, fhir_text
from pedall.writers.held_results import HeldResults, itself
from pedall.writers.registry import Render, WriterContext


@dataclass
class FhirResults(HeldResults):
    """Writes the Bundle to ``out``, with the schemes and mappings of ``kb``."""

    out: IO[str]
    kb: KnowledgeBase
    render: str = field(default="fhir", init=False)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        self.out.write(fhir_text(fhir_bundle(self.kb, self.results, issues)))


def renderer() -> Render:
    return itself


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[FhirResults]:
    return nullcontext(FhirResults(sink, context.kb))
