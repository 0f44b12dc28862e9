"""What the writers that need every result before they write have in common (a table for a
person, an RDF graph, a FHIR Bundle): they hold the results, in input order, and write
them all in ``finish``. They do not stream, so the cohort runner classifies every input
whole first, as ``pedall.api`` does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pedall.classify.result import Classification
from pedall.errors import PatientIssue
from pedall.writers.registry import Rendered


def itself(result: Classification, extras: tuple[str, ...]) -> Rendered:
    """The renderer of a writer that holds results: the result as it is."""
    return result


@dataclass
class HeldResults:
    """Holds every result given to ``write``; a subclass writes them in ``finish``."""

    streams: bool = field(default=False, init=False)
    results: list[Classification] = field(default_factory=list, init=False)

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return tuple(extras)

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if rendered is not None:
            assert isinstance(rendered, Classification)
            self.results.append(rendered)
