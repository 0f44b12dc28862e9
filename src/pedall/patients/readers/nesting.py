"""Refuse deeply nested uploads before any parser sees them.

Python's ``json`` module recurses once per level (a few thousand ``[`` end in a
``RecursionError``), and pyoxigraph's RDF/XML parser slows down with the square of the
element depth (20,000 nested elements took 6 s, 2,000 a tenth of it). Patient documents
need a few levels, so a depth over the limit (``InputLimits.max_depth``) is refused
outright, with the line where it is passed. Both checks take time in proportion to the
text and hold no more than a counter.

>>> json_depth('{"a": [1, {"b": "[[["}]}')
3
"""

from __future__ import annotations

import re
from itertools import accumulate
from xml.parsers import expat

from pedall.errors import InputFormatError, InputLimitError

# A JSON string (escapes included), whose brackets are text, not structure.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text (or JSON Lines) nest."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def refuse_deep_json(text: str, limit: int, source: str) -> None:
    """InputLimitError when the arrays and objects of ``text`` nest deeper than ``limit``."""
    if json_depth(text) <= limit:
        return
    depth = 0
    for found in _BRACKET.finditer(text):
        depth += _STEP.get(found.group(), 0)
        if depth > limit:
            line = text.count("\n", 0, found.start()) + 1
            raise InputLimitError(
                f"{source}: line {line}: JSON nested deeper than the limit of {limit} levels "
                "of arrays and objects (setting max_depth, option --max-depth)",
                line=line,
            )


class _TooDeep(Exception):
    """Raised from the parser's callback to stop at the first element over the limit."""


def refuse_deep_xml(document: bytes, limit: int, source: str) -> None:
    """InputLimitError when the elements of an XML document (UTF-8) nest deeper than
    ``limit``; InputFormatError when it is not well-formed XML."""
    parser = expat.ParserCreate(encoding="UTF-8")
    depth = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise _TooDeep

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(document, True)
    except _TooDeep:
        line = parser.CurrentLineNumber
        raise InputLimitError(
            f"{source}: line {line}: XML elements nested deeper than the limit of {limit} "
            "(setting max_depth, option --max-depth)",
            line=line,
        ) from None
    except expat.ExpatError as error:
        message = expat.errors.messages[error.code]
        raise InputFormatError(
            f"{source}: line {error.lineno}: not valid RDF/XML: {message}", line=error.lineno
        ) from None
