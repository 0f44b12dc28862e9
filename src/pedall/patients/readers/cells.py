"""One cell of the patient table read as its field's value: plain ASCII numbers (with a hint
when a number is written with separators), true/false, or a code of the ontology; each
distinct cell of a field read once (``read_cell``)."""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

from rdflib import URIRef

from pedall.patients.model import FieldKind, PatientField

# A field's value; a frozenset of lesion class IRIs only stands for the lesions that may be
# present in one completion of a record whose lesions are unknown.
CellValue = URIRef | bool | int | float | frozenset[str]


def parse_cell(spec: PatientField, text: str) -> CellValue:
    """The value of one non-empty cell; ValueError with what was expected otherwise."""
    cell = text.strip()
    if spec.kind in (FieldKind.NUMBER, FieldKind.INTEGER):
        # Plain ASCII digits only: int() and float() also take 1e5, 4_6, inf and digits of
        # other scripts (full-width, Arabic-Indic), none of which a table should hold.
        form = _INTEGER if spec.kind is FieldKind.INTEGER else _DECIMAL
        if not form.fullmatch(cell):
            raise ValueError(spec.expected() + _number_hint(cell))
        return int(cell) if spec.kind is FieldKind.INTEGER else float(cell)
    if spec.kind is FieldKind.BOOLEAN:
        lowered = cell.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValueError(spec.expected())
    if spec.kind is FieldKind.CODED:
        iri = spec.codes.get(cell.upper())
        if iri is None:
            raise ValueError(spec.expected())
        return _coded_value(iri)
    raise ValueError(f"column {spec.column} cannot be read")


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Digits grouped in thousands (12,000 / 12 000 / 12'000 / 1,234.5) and a decimal comma (12,5).
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:([,' \u00a0\u202f])[0-9]{3})(?:\1[0-9]{3})*(?:\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")


def _number_hint(cell: str) -> str:
    """How to write a number written with separators, for the error message."""
    grouped = _GROUPED.fullmatch(cell)
    if grouped:
        plain = cell.replace(grouped.group(1), "")
        if grouped.group(1) == "," and cell.count(",") == 1 and "." not in cell:
            decimal = cell.replace(",", ".")
            return (
                f": remove the thousands separator (write {plain}),"
                f" or write {decimal} if ',' marks the decimals"
            )
        return f": remove the thousands separator (write {plain})"
    if _DECIMAL_COMMA.fullmatch(cell):
        return f": write the decimals with '.' (write {cell.replace(',', '.')})"
    return ""


# The few coded values, made once (building an IRI checks it, which costs).
_coded_value = lru_cache(maxsize=4096)(URIRef)

REMEMBERED_CELLS = 4_096  # bound on the distinct cells remembered a field (memory, not data)


class Blank(Enum):
    """What a cell holding only white space gives: no value (the field is not known)."""

    CELL = "blank"


BLANK = Blank.CELL
# The cells of one field already read, each with its value (or BLANK).
CellMemo = dict[str, CellValue | Blank]


def read_cell(spec: PatientField, text: str, memo: CellMemo) -> CellValue | Blank:
    """The value of a cell not in ``memo`` (BLANK for white space), remembered there while
    it holds fewer than REMEMBERED_CELLS (codes, true/false and most numbers repeat across a
    cohort); ValueError with what was expected when it cannot be read. The table readers
    look ``memo`` up themselves, so a cell read before costs one dictionary lookup."""
    value: CellValue | Blank = parse_cell(spec, text) if text.strip() else BLANK
    if len(memo) < REMEMBERED_CELLS:
        memo[text] = value
    return value
