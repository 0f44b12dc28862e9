"""The table of ``pedall classify --format table``, for a person: every result with its
explanation, then the located errors and warnings, then the research-use notice
(``pedall.writers.results.render_results``), on the terminal or 140 columns wide in a file."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import IO

from rich.console import Console

from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue
from pedall.toolkit import toolkit
from pedall.writers.held_results import HeldResults, itself
from pedall.writers.registry import Render, WriterContext
from pedall.writers.results import render_results


@dataclass
class TableResults(HeldResults):
    """Writes the table to ``out`` (``width`` columns; None: the terminal's)."""

    out: IO[str]
    schemes: Schemes
    width: int | None = None
    render: str = field(default="table", init=False)

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        console = Console(file=self.out, width=self.width)
        render_results(console, self.results, issues, self.schemes)


def renderer() -> Render:
    return itself


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[TableResults]:
    schemes = toolkit(context.kb).schemes
    return nullcontext(TableResults(sink, schemes, context.width))
