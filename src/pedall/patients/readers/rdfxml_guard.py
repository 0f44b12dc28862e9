"""Read uploaded RDF/XML safely: refuse DTDs and entity declarations before any parsing.

An internal entity that refers to others grows quadratically when expanded (a 700-byte
document kept rdflib busy for minutes), and an external entity names a document to load.
RDF/XML needs neither, so any ``<!DOCTYPE`` or ``<!ENTITY`` is refused outright; elements
nested deeper than the limit are refused too; only then does pyoxigraph parse the text.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from pedall.errors import InputFormatError
from pedall.patients.input_limits import DEFAULT_LIMITS
from pedall.patients.readers.nesting import refuse_deep_xml

# Markup declarations: "<!" followed by a keyword (comments and CDATA sections are fine).
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def xml_text(payload: bytes, source: str) -> str:
    """The text of an XML upload: UTF-8 (optionally with a byte-order mark) or UTF-16
    with one; anything else is refused so no declaration can hide in another encoding."""
    try:
        if payload.startswith(_UTF16_BOMS):
            return payload.decode("utf-16")
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFormatError(f"{source}: RDF/XML must be UTF-8 or UTF-16 ({error})") from None


def refuse_declarations(text: str, source: str) -> None:
    """InputFormatError when ``text`` holds a DOCTYPE, ENTITY or other markup declaration."""
    found = _DECLARATION.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise InputFormatError(
            f"{source}, line {line}: <!{found.group(1).upper()} refused: RDF/XML with a "
            "document type or entity declarations is not read (entity expansion and "
            "external entities are unsafe)"
        )


def rdfxml_to_ntriples(
    payload: bytes, source: str = "<request>", max_depth: int = DEFAULT_LIMITS.max_depth
) -> bytes:
    """The triples of an RDF/XML upload as N-Triples, after ``refuse_declarations`` and
    ``refuse_deep_xml`` (pyoxigraph's parser is quadratic in the element depth)."""
    text = xml_text(payload, source)
    refuse_declarations(text, source)
    document = text.encode("utf-8")
    refuse_deep_xml(document, max_depth, source)
    try:
        triples = [quad.triple for quad in ox.parse(document, format=ox.RdfFormat.RDF_XML)]
    except SyntaxError as error:
        raise InputFormatError(f"{source}: not valid RDF/XML: {error}") from None
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
