"""The to-do list of one column (``pedall classify --to-do COLUMN``): the provisional
patients whose ``deciding`` names that column, with where they came from and the groups
still possible, for a person (a table), as JSON or as CSV.

Only these few fields of each patient on the list are kept (``SummaryEntry``), never the
whole results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pedall import RESEARCH_NOTICE
from pedall.cohort.summary import SummaryEntry
from pedall.errors import PatientIssue
from pedall.writers.results import LIST_SEPARATOR, csv_line, spreadsheet_safe

TO_DO_COLUMNS = ("patient_id", "source", "line", "possible_groups")


@dataclass
class ToDoList:
    """The provisional patients whose answer for ``column`` is still to be had."""

    column: str
    entries: list[SummaryEntry] = field(default_factory=list)

    def add(self, entry: SummaryEntry) -> None:
        """Keep ``entry`` when its patient is provisional and ``column`` would decide."""
        if entry.provisional and self.column in entry.deciding:
            self.entries.append(entry)

    def rows(self) -> list[dict[str, object]]:
        """One object a patient: ``patient_id``, ``source``, ``line``, ``possible_groups``."""
        return [
            {
                "patient_id": entry.patient_id,
                "source": entry.source,
                "line": entry.line,
                "possible_groups": list(entry.possible_groups),
            }
            for entry in self.entries
        ]

    def as_json(self) -> dict[str, object]:
        """``{"column": ..., "to_do": [...]}``; the caller adds the issues and the notice."""
        return {"column": self.column, "to_do": self.rows()}

    def as_csv(self) -> str:
        """One row a patient (possible groups ``;``-joined), every cell spreadsheet-safe."""
        lines = [csv_line(list(TO_DO_COLUMNS))]
        for entry in self.entries:
            cells = [
                entry.patient_id,
                entry.source,
                "" if entry.line is None else str(entry.line),
                LIST_SEPARATOR.join(entry.possible_groups),
            ]
            lines.append(csv_line([spreadsheet_safe(cell) for cell in cells]))
        return "".join(lines)

    def render(self, console: Console, issues: Sequence[PatientIssue]) -> None:
        """The list for a person, then how many rows had errors, then the notice."""
        if self.entries:
            table = Table(
                title=f"To do: {self.column} would decide {len(self.entries)} patient(s)",
                show_lines=False,
            )
            for header in ("patient", "file", "line", "possible groups"):
                table.add_column(header, overflow="fold")
            for entry in self.entries:
                table.add_row(
                    Text(entry.patient_id),
                    Text(entry.source),
                    "" if entry.line is None else str(entry.line),
                    Text(", ".join(entry.possible_groups)),
                )
            console.print(table)
        else:
            console.print(Text(f"No provisional patient waits for {self.column}."))
        errors = sum(1 for issue in issues if issue.is_error)
        if errors:
            console.print(Text(f"{errors} error(s) in the input: pedall validate lists them."))
        console.print(Text(RESEARCH_NOTICE, style="italic"))
