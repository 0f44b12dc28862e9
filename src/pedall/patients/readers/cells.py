"""One cell of the patient table read as its field's value: plain ASCII numbers (with a hint
when a number is written with separators), true/false, or a code of the ontology."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


@dataclass
class CellReader:
    """``parse_cell`` for one table, each distinct cell of a field read once (the first
    4,096 of a field: codes, true/false and most numbers repeat across a cohort)."""

    _seen: dict[str, dict[str, CellValue]] = field(default_factory=dict, repr=False)

    def read(self, spec: PatientField, text: str) -> CellValue:
        """The value of one non-empty cell; ValueError with what was expected otherwise."""
        seen = self._seen.get(spec.property)
        if seen is None:
            seen = self._seen[spec.property] = {}
        found = seen.get(text)
        if found is None:
            found = parse_cell(spec, text)
            if len(seen) < REMEMBERED_CELLS:
                seen[text] = found
        return found
