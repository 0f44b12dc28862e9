"""The JSON results document of ``pedall classify --format json``, written one result at a
time (the same bytes as ``json.dumps`` of the whole document): each result rendered by a
``JsonRenderer``, in whichever process classified it, the part that depends only on the
outcome rendered once per outcome."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import IO

import orjson

from pedall import RESEARCH_NOTICE
from pedall.classify.result import Classification, Outcome
from pedall.errors import PatientIssue, errors_in, not_shown, warnings_in
from pedall.writers.registry import Render, Rendered, Summarized, WriterContext

RENDERED_BODIES = 1 << 17  # bound on the cache of rendered JSON bodies (memory, not data)
# How orjson writes a float under 1e-4 (0.00001, 1e-9), which Python's repr writes otherwise.
ORJSON_SMALL_FLOATS = ("0.0000", "e-")


@dataclass
class JsonRenderer:
    """A result as ``json.dumps(result.as_dict(), indent=2)`` would write it, nested in the
    results list; the part that depends only on the outcome is rendered once per outcome."""

    _bodies: dict[int, tuple[Outcome, str]] = field(default_factory=dict)

    def render(self, result: Classification, extras: tuple[str, ...] = ()) -> tuple[str, ...]:
        """``result``'s JSON in parts, the part that depends only on the outcome one object
        for every result of that outcome (a batch of results sent back by a worker process
        pickles it once). Its pass-through columns are its own: ``extras`` is unused."""
        head = '    {\n      "patient_id": ' + json_value(result.patient_id) + ",\n"
        keys = result.outcome.json_keys()
        extra = "".join(
            f",\n      {json_value(column)}: {json_value(value)}"
            for column, value in result.extra.items()
            if column not in keys
        )
        return (head, self._body(result.outcome), extra + "\n    }")

    def _body(self, outcome: Outcome) -> str:
        cached = self._bodies.get(id(outcome))
        if cached is not None and cached[0] is outcome:
            return cached[1]
        as_dict = Classification("", outcome).as_dict()
        del as_dict["patient_id"]
        text = indented_json(as_dict)
        body = "\n".join("    " + line for line in text.splitlines()[1:-1])
        if len(self._bodies) > RENDERED_BODIES:
            self._bodies.clear()
        self._bodies[id(outcome)] = (outcome, body)
        return body


def indented_json(value: object) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, written by orjson (some 25 times
    faster) where it writes the same text: everywhere but in floats under 1e-4 (Python
    writes ``1e-05`` where orjson writes ``0.00001``, and ``1e-09`` where it writes
    ``1e-9``) and integers beyond 64 bits, which orjson refuses; for those ``json`` writes
    it. (A float that is not finite, which no threshold of the shapes is, orjson writes as
    ``null``, valid JSON, where ``json`` writes ``NaN``, which is not.)"""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return json.dumps(value, indent=2, ensure_ascii=False)
    if any(form in text for form in ORJSON_SMALL_FLOATS):  # or a string that holds one
        return json.dumps(value, indent=2, ensure_ascii=False)
    return text


def json_value(value: object) -> str:
    """A value as JSON text (non-ASCII kept): a string by the encoder ``json.dumps``
    itself uses for it, without the call's overhead."""
    if isinstance(value, str):
        return encode_basestring(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass
class JsonResults:
    """Writes ``{"results": [...], "errors": [...], "warnings": [...], "notice": ...}``
    to ``out``, one result at a time. With a ``summary`` (``--summary``), which the caller
    fills as the results stream, ``"summary": {...}`` comes before the notice; without one
    the document is unchanged."""

    out: IO[str]
    summary: Summarized | None = None
    render: str = "json"
    streams: bool = True
    _count: int = 0

    def start(self, extras: Sequence[str]) -> tuple[str, ...]:
        return tuple(extras)

    def write(self, rendered: Rendered | None, issues: Sequence[PatientIssue]) -> None:
        if isinstance(rendered, tuple):
            start = '{\n  "results": [\n' if self._count == 0 else ",\n"
            self.out.write(start + "".join(rendered))
            self._count += 1

    def finish(self, issues: Sequence[PatientIssue]) -> None:
        if self._count == 0:
            self.out.write('{\n  "results": [],\n')
        else:
            self.out.write("\n  ],\n")
        errors = [i.as_dict() for i in errors_in(issues)]
        warnings = [i.as_dict() for i in warnings_in(issues)]
        parts: list[tuple[str, object]] = [("errors", errors), ("warnings", warnings)]
        parts += not_shown(issues).items()  # when the issues were capped: how many were not
        if self.summary is not None:
            parts.append(("summary", self.summary.as_dict()))
        for key, value in parts:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self.out.write(f"  {json_value(key)}: {text},\n")
        self.out.write(f'  "notice": {json_value(RESEARCH_NOTICE)}\n}}\n')


def renderer() -> Render:
    return JsonRenderer().render


def open_writer(sink: IO[str], context: WriterContext) -> nullcontext[JsonResults]:
    return nullcontext(JsonResults(sink, summary=context.summary))
