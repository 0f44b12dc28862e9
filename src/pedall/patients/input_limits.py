"""The limits on patient input, one place for their defaults: how long a cell, how many
columns, how deeply nested a JSON or XML document, how many issues an answer lists.

The CLI and the service pass them down to the readers (``--max-cell-chars`` and the others
on ``pedall classify``, ``validate`` and ``serve``; ``ServiceSettings.limits``). Each limit,
when passed, is a located error or a refusal naming the limit, never a traceback.

>>> InputLimits().max_cell_chars
10000
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

# The csv module refuses longer fields itself (its process-wide field_size_limit, left
# alone), so a cell limit can only be below it.
CSV_PARSER_LIMIT = csv.field_size_limit()


@dataclass(frozen=True)
class InputLimits:
    """``max_cell_chars``: characters in one CSV cell (a longer cell is a located error for
    that cell; its row is not read); ``max_columns``: columns of a table (more is a
    refusal of the file); ``max_depth``: nesting of JSON, JSON-LD and phenopacket arrays
    and objects, and of RDF/XML elements (deeper is a refusal); ``max_issues``: errors,
    and warnings, an answer lists (the rest are counted: ``errors_not_shown``)."""

    max_cell_chars: int = 10_000
    max_columns: int = 1_000
    max_depth: int = 64
    max_issues: int = 1_000

    def __post_init__(self) -> None:
        for name in ("max_cell_chars", "max_columns", "max_depth", "max_issues"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_cell_chars >= CSV_PARSER_LIMIT:
            raise ValueError(f"max_cell_chars must be under {CSV_PARSER_LIMIT:,}")


DEFAULT_LIMITS = InputLimits()
