"""JSON-LD patient input without the network: a ``@context`` that names a document to load
is refused before parsing (pyoxigraph would otherwise be asked to fetch it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pedall.errors import InputFormatError


def refuse_remote_contexts(text: str, source: str) -> None:
    """InputFormatError when a JSON-LD document's ``@context`` names a document to load
    (a string, a list holding one, or ``@import``): pedall never makes a network request."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFormatError(
            f"{source}: line {error.lineno}: not valid JSON: {error.msg}", line=error.lineno
        ) from error
    for context in _contexts(document):
        entries = context if isinstance(context, list) else [context]
        for entry in entries:
            if isinstance(entry, str) or (isinstance(entry, dict) and "@import" in entry):
                named = entry if isinstance(entry, str) else entry["@import"]
                raise InputFormatError(
                    f"{source}: remote JSON-LD context {named!r} refused; "
                    "pedall loads no documents over the network, put the context inline"
                )


def _contexts(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                yield value
            yield from _contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _contexts(item)
