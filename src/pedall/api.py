"""The library API that the CLI and the HTTP service adapt: read patient input in any
supported format, validate it, classify it, and say what went wrong where.

>>> kb = KnowledgeBase.load()
>>> outcome = classify_input(kb, b"patient_id,age_years\\nP1,16\\n", "text/csv")
>>> outcome.results[0].outcome.risk_group
'very-high'
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

from pedall.classification import Classification
from pedall.errors import InputFormatError, PatientIssue
from pedall.fast_engine import FastEngine
from pedall.knowledge import KnowledgeBase
from pedall.patient_model import PatientModel
from pedall.patient_rdf import RdfPatientFields, read_rdf
from pedall.patients import ReadResult, read_csv

CSV_TYPES = ("text/csv", "application/csv")
ENGINES = ("fast", "reference")


@dataclass(eq=False)
class Toolkit:
    """What one knowledge base compiles to, built on first use and then shared."""

    kb: KnowledgeBase

    @cached_property
    def model(self) -> PatientModel:
        return PatientModel.from_knowledge(self.kb)

    @cached_property
    def rdf_fields(self) -> RdfPatientFields:
        return RdfPatientFields.from_knowledge(self.kb, self.model)

    @cached_property
    def fast_engine(self) -> FastEngine:
        return FastEngine.from_knowledge(self.kb, self.model)


_toolkits: weakref.WeakKeyDictionary[KnowledgeBase, Toolkit] = weakref.WeakKeyDictionary()


def toolkit(kb: KnowledgeBase) -> Toolkit:
    """The shared toolkit of ``kb`` (compiled once per knowledge base)."""
    if kb not in _toolkits:
        _toolkits[kb] = Toolkit(kb)
    return _toolkits[kb]


@dataclass
class ClassifyOutcome:
    """Classified patients and located issues; ``as_json`` is the public JSON contract."""

    results: list[Classification] = field(default_factory=list)
    issues: list[PatientIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[PatientIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[PatientIssue]:
        return [i for i in self.issues if i.severity != "error"]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def as_json(self) -> dict[str, object]:
        return {
            "results": [r.as_dict() for r in self.results],
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
        }


def media_kind(media_type: str) -> str:
    """``csv``, ``turtle`` or ``json-ld`` for a Content-Type; InputFormatError otherwise."""
    base = media_type.split(";", 1)[0].strip().lower()
    if base in CSV_TYPES:
        return "csv"
    if base in ("text/turtle", "application/x-turtle"):
        return "turtle"
    if base in ("application/ld+json", "application/json"):
        return "json-ld"
    raise InputFormatError(
        f"unsupported media type {media_type!r}; "
        "expected text/csv, text/turtle or application/ld+json"
    )


def read_input(kb: KnowledgeBase, payload: bytes, media_type: str, source: str) -> ReadResult:
    """Patient records from a CSV table or a Turtle / JSON-LD graph (pedall.patient_rdf)."""
    kind = media_kind(media_type)
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFormatError(f"{source}: not UTF-8 text ({error})") from error
    if kind == "csv":
        return read_csv(text, toolkit(kb).model, source)
    return read_rdf(text, kind, toolkit(kb).model, toolkit(kb).rdf_fields, source)


def classify_input(
    kb: KnowledgeBase,
    payload: bytes,
    media_type: str,
    *,
    source: str = "<request>",
    engine: str = "fast",
) -> ClassifyOutcome:
    """Read, check and classify patient input; rows with errors are reported, not classified."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    read = read_input(kb, payload, media_type, source)
    results = toolkit(kb).fast_engine.classify(read.records)
    return ClassifyOutcome(results, read.issues)
