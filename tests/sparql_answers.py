"""SPARQLWrapper's answers, typed: ``QueryResult.convert()`` may return bytes, text, a
dict, a graph or a DOM document, so the tests say which they expect and check it here."""

from __future__ import annotations

import xml.dom.minidom
from typing import Any

from SPARQLWrapper.Wrapper import QueryResult


def json_answer(answer: QueryResult) -> dict[str, Any]:
    """A JSON answer (SELECT or ASK results) as its parsed document."""
    converted = answer.convert()
    assert isinstance(converted, dict), f"not a JSON answer: {converted!r}"
    return converted


def xml_answer(answer: QueryResult) -> xml.dom.minidom.Document:
    """An XML answer as its DOM document."""
    converted = answer.convert()
    assert isinstance(converted, xml.dom.minidom.Document), f"not XML: {converted!r}"
    return converted


def bytes_answer(answer: QueryResult) -> bytes:
    """A CSV or TSV answer as its bytes."""
    converted = answer.convert()
    assert isinstance(converted, bytes), f"not bytes: {converted!r}"
    return converted


def text_of(node: xml.dom.minidom.Node | None) -> str:
    """The text of a DOM text node (an element's first child, say)."""
    assert isinstance(node, xml.dom.minidom.Text), f"not a text node: {node!r}"
    return node.data
