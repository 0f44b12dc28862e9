"""The RDF of ``pedall classify --format ttl``: the patients with their data as read and
their classification, in Turtle headed by the research-use notice
(``pedall.writers.results.results_turtle``)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import IO

from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import PatientRecord
from pedall.toolkit import toolkit
from pedall.writers.held_results import HeldResults, itself
from pedall.writers.registry import Render, WriterContext
from pedall.writers.results import results_turtle


@dataclass
class TurtleResults(HeldResults):
    """Writes the graph to ``out``; each patient's data from its record (``add_records``)."""

    out: IO[str]
    schemes: Schemes
    model: PatientModel
    render: str = field(default="ttl", init=False)
    records: dict[tuple[str, str], PatientRecord] = field(default_factory=dict, init=False)

    def add_records(self, source: str, records: Sequence[PatientRecord]) -> None:
        self.records.update({(source, record.patient_id): record for record in records})

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        self.out.write(results_turtle(self.results, self.schemes, self.model, self.records))


def renderer() -> Render:
    return itself


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[TurtleResults]:
    tools = toolkit(context.kb)
    return nullcontext(TurtleResults(sink, tools.schemes, tools.model))
