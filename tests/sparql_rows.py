"""Typed access to rdflib answers: rdflib types a result's rows as triples, booleans or
rows, and a term as any node, so the tests narrow them here, once."""

from __future__ import annotations

from typing import Any

from rdflib import Literal
from rdflib.query import Result, ResultRow
from rdflib.term import Node


def select_rows(result: Result) -> list[ResultRow]:
    """The rows of a SELECT answer (fails on an ASK or CONSTRUCT answer)."""
    rows: list[ResultRow] = []
    for row in result:
        assert isinstance(row, ResultRow), f"not a SELECT row: {row!r}"
        rows.append(row)
    return rows


def python_value(term: Node | None) -> Any:
    """A bound literal's Python value (``Decimal`` for an ``xsd:decimal``), None when the
    variable is unbound; fails on an IRI or a blank node."""
    if term is None:
        return None
    assert isinstance(term, Literal), f"not a literal: {term!r}"
    return term.toPython()
