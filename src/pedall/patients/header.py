"""Match the header of a patient table to the contract's columns, as people write them.

A header name matches a contract column whatever its case and separators (``Lesions``,
``Age_Years``, ``age-years``, ``Age Years`` are ``age_years``, ``lesions``); it is then read
under the canonical name, with a warning naming it. An unknown column close to a contract
column is passed through, with a warning suggesting the column. A table without a
``lesions`` column says nothing about genetics: its lesions are unknown (warned once).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter

from pedall.errors import InputFormatError, PatientIssue
from pedall.patients.model import ID_COLUMN, LESIONS_COLUMN, PatientModel

HEADER_LINE = 1
SEPARATORS = re.compile(r"[\s_\-.]+")
SUGGESTION_CUTOFF = 0.8  # how alike an unknown name must be to be called a likely typo


class TableHeader(list[str]):
    """The header as read (contract columns under their canonical names), with the
    warnings that matching it gave."""

    issues: list[PatientIssue]

    def __init__(self, names: list[str], issues: list[PatientIssue]) -> None:
        super().__init__(names)
        self.issues = issues


def column_key(name: str) -> str:
    """A column name without case or separators: how two spellings are compared."""
    return SEPARATORS.sub("", name.strip().lower())


def match_header(names: list[str], model: PatientModel, source: str) -> TableHeader:
    """The header with each contract column under its canonical name; InputFormatError
    when two names stand for one column (or there is no ``patient_id``)."""
    canonical = {column_key(c): c for c in model.columns}
    issues: list[PatientIssue] = []

    def warn(column: str | None, value: str | None, message: str) -> None:
        issues.append(PatientIssue(HEADER_LINE, column, value, message, None, source, "warning"))

    matched: list[str] = []
    for name in names:
        column = canonical.get(column_key(name))
        if column is None:
            close = difflib.get_close_matches(
                column_key(name), canonical, n=1, cutoff=SUGGESTION_CUTOFF
            )
            if close and name:
                warn(
                    name,
                    name,
                    f"unknown column {name!r} is passed through unread; did you mean "
                    f"{canonical[close[0]]!r}?",
                )
            matched.append(name)
            continue
        if column != name:
            warn(column, name, f"column {name!r} is read as the contract column {column!r}")
        matched.append(column)
    if ID_COLUMN not in matched:
        raise InputFormatError(
            f"{source}: line {HEADER_LINE}: no {ID_COLUMN!r} column; the header must name "
            f"the columns ({', '.join(model.columns)})"
        )
    repeated = sorted(h for h, count in Counter(matched).items() if count > 1)
    if repeated:
        spelled = [
            f"{c} (as {', '.join(repr(n) for n, m in zip(names, matched, strict=True) if m == c)})"
            for c in repeated
        ]
        raise InputFormatError(
            f"{source}: line {HEADER_LINE}: repeated column(s) {', '.join(spelled)}"
        )
    if LESIONS_COLUMN not in matched:
        warn(
            LESIONS_COLUMN,
            None,
            f"no {LESIONS_COLUMN!r} column: the lesions are unknown (not 'none detected'), "
            "so every group a lesion could reach stays possible",
        )
    return TableHeader(matched, issues)
