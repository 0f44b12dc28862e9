"""Literals in one canonical form, the same in every answer pedall gives (the SPARQL
endpoint, the CLI, the exports and the term pages).

The form is the canonical representation of XML Schema 1.0 Part 2 (Second Edition),
section 3.2, for the numbers and booleans:

- ``xsd:decimal``: at least one digit on each side of the point, no other leading or
  trailing zero, no ``+``: ``52.0``, ``0.5``, ``-1.25`` (section 3.2.3.2);
- ``xsd:integer`` and the types derived from it: no ``+``, no leading zero: ``52``
  (section 3.3.13.2);
- ``xsd:double`` and ``xsd:float``: a mantissa with one non-zero digit before the point
  and at least one after it, ``E``, the exponent: ``1.0E2``, ``-1.5E-7``, ``0.0E0``,
  ``INF``, ``-INF``, ``NaN`` (sections 3.2.5.2 and 3.2.4.2);
- ``xsd:boolean``: ``true`` or ``false`` (section 3.2.2.2).

Why this form and not XML Schema 1.1's (which writes the decimal 52 as ``52``): it is the
form Turtle's own numerals take (a Turtle decimal needs its point), the form the data files
and the Turtle exports are written in, and Apache Jena's. pyoxigraph computes with values
and writes decimals and doubles its own way (``"52"``, ``"100"^^xsd:double``); answers
are rewritten into this form. A lexical form that is not valid for its datatype, and every
other datatype, is left as it is.

>>> canonical_lexical("52", XSD + "decimal"), canonical_lexical("100", XSD + "double")
('52.0', '1.0E2')
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from decimal import Decimal

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

XSD = "http://www.w3.org/2001/XMLSchema#"

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_FLOATING = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN")


def _integer(lexical: str) -> str | None:
    return str(int(lexical)) if _INTEGER.fullmatch(lexical) else None


def _decimal(lexical: str) -> str | None:
    if not _DECIMAL.fullmatch(lexical):
        return None
    value = Decimal(lexical)
    whole, _, fraction = format(abs(value), "f").partition(".")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole.lstrip('0') or '0'}.{fraction.rstrip('0') or '0'}"


def _scientific(value: float, shortest: str) -> str:
    """``value`` as mantissa ``E`` exponent, from ``shortest``, its shortest decimal text."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    sign = "-" if math.copysign(1.0, value) < 0 else ""  # -0.0 keeps its sign
    if value == 0:
        return f"{sign}0.0E0"
    number = Decimal(shortest).normalize()
    digits = "".join(str(digit) for digit in number.as_tuple().digits)
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{number.adjusted()}"


def _double(lexical: str) -> str | None:
    if not _FLOATING.fullmatch(lexical):
        return None
    value = float(lexical)
    return _scientific(value, repr(abs(value)))


def _float32(value: float) -> float:
    """``value`` rounded to the nearest 32-bit float (infinite beyond the largest)."""
    try:
        rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    return rounded


def _float(lexical: str) -> str | None:
    if not _FLOATING.fullmatch(lexical):
        return None
    value = _float32(float(lexical))
    if math.isnan(value) or math.isinf(value):
        return _scientific(value, "")
    # the fewest significant digits that read back as the same 32-bit float
    shortest = next(
        text
        for text in (f"{abs(value):.{places}e}" for places in range(9))
        if _float32(float(text)) == abs(value)
    )
    return _scientific(value, shortest)


def _boolean(lexical: str) -> str | None:
    return {"true": "true", "1": "true", "false": "false", "0": "false"}.get(lexical)


_INTEGER_TYPES = [
    "integer",
    "long",
    "int",
    "short",
    "byte",
    "nonNegativeInteger",
    "positiveInteger",
    "nonPositiveInteger",
    "negativeInteger",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
]
CANONICAL_FORMS: dict[str, Callable[[str], str | None]] = {
    **{XSD + name: _integer for name in _INTEGER_TYPES},
    XSD + "decimal": _decimal,
    XSD + "double": _double,
    XSD + "float": _float,
    XSD + "boolean": _boolean,
}


def canonical_lexical(lexical: str, datatype: str) -> str:
    """The canonical form of ``lexical`` as a ``datatype`` (an IRI), or ``lexical`` itself
    when pedall has no canonical form for that datatype or the text is not valid for it."""
    form = CANONICAL_FORMS.get(datatype)
    canonical = form(lexical) if form is not None else None
    return lexical if canonical is None else canonical


OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def canonical_term(term: OxTerm) -> OxTerm:
    """A pyoxigraph term with its literal in canonical form (any other term as it is)."""
    if isinstance(term, ox.Literal) and term.datatype.value in CANONICAL_FORMS:
        lexical = canonical_lexical(term.value, term.datatype.value)
        if lexical != term.value:
            return ox.Literal(lexical, datatype=term.datatype)
    return term


def canonical_node(node: Node) -> Node:
    """An rdflib node with its literal in canonical form (any other node as it is)."""
    if isinstance(node, Literal) and node.datatype is not None and not node.language:
        datatype = str(node.datatype)
        if datatype in CANONICAL_FORMS:
            lexical = canonical_lexical(str(node), datatype)
            if lexical != str(node):
                return Literal(lexical, datatype=URIRef(datatype), normalize=False)
    return node
