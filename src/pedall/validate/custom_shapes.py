"""A registry's own SHACL shapes run on patient input (``pedall validate --shapes``,
``POST /shacl``), reported as pedall reports its own issues.

The shapes (SHACL core, SHACL-SPARQL, SHACL-AF) are checked first and refused when they
would reach out (``pedall.validate.shapes_safety``); then pyshacl runs them on the data
graph (``pedall.validate.shapes_data``) with the ontology mixed in and OWL RL inference
over both, so the shapes see what pedall's ontology entails (a KMT2A::AFF1 lesion is a
KMT2A rearrangement, its patient a ``pedall:KMT2ARearrangedPatient``). All inputs form
one data graph, so a constraint across patients sees every patient. Each result becomes
a ``ShapeIssue`` at the row (tables) or node (RDF) it is about, with the column, the value
as written, the message and the shape that failed.

>>> shapes = RegistryShapes.from_files([Path("examples/registry-shapes.ttl")])  # doctest: +SKIP
>>> shapes.check([DataInput(csv_bytes, "text/csv", "p.csv")], toolkit(kb)).errors  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from pedall.errors import IssueList, PatientIssue, ShapesSyntaxError
from pedall.knowledge.base import KnowledgeBase, owl_rl_closure, without_generalized_triples
from pedall.namespaces import PEDALL
from pedall.patients.readers.csv_table import PatientRecord
from pedall.patients.readers.registry import ReaderTools
from pedall.shacl.pyshacl_runner import run_pyshacl
from pedall.shacl.reports import merge_reports
from pedall.validate.checker import DataQualityChecker
from pedall.validate.checks import severity_of
from pedall.validate.outcome import ValidationOutcome
from pedall.validate.shape_issues import ShapeIssue
from pedall.validate.shapes_data import (
    COLUMN,
    DataInput,
    ShapesData,
    column_name,
    patient_id_of,
    shapes_data,
)
from pedall.validate.shapes_safety import LoadedShapes, load_shapes

# pyshacl registers SHACL-AF functions in rdflib's process-wide table for the length of a
# run, so two runs declaring the same function must not overlap.
_FUNCTIONS_LOCK = threading.Lock()
_FUNCTION_TYPES = (SH.SPARQLFunction, SH.Function)
_HOLDING = (SH.property, SH.node, SH["not"], SH["and"], SH["or"], SH.xone, RDF.first, RDF.rest)


class ShapesTools(ReaderTools, Protocol):
    """What a run needs from the compiled knowledge (``pedall.toolkit.Toolkit``)."""

    @property
    def data_quality(self) -> DataQualityChecker: ...


@dataclass(frozen=True)
class ShapesOutcome(IssueList):
    """What a user's shapes found: the issues (those of reading the inputs pedall read
    itself first) and pyshacl's report graph."""

    issues: list[PatientIssue]
    report: Graph

    @property
    def conforms(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        return {"conforms": self.conforms, **self.issues_json()}


@dataclass(eq=False)
class RegistryValidationOutcome(ValidationOutcome):
    """pedall's validation with a registry's shapes added: both kinds of issues, and one
    SHACL report graph holding both reports' results."""

    shapes_report: Graph | None = None

    @cached_property
    def report_graph(self) -> Graph:
        pedall_report = super().report_graph
        if self.shapes_report is None:
            return pedall_report
        return self.with_verdict(merge_reports([pedall_report, self.shapes_report]))


@dataclass(frozen=True)
class RegistryShapes:
    """A registry's shapes, checked and ready to run."""

    shapes: LoadedShapes

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> RegistryShapes:
        """The shapes of Turtle files (``ShapesSyntaxError`` naming the file and line of a
        malformed one, ``RefusedShapesError`` for shapes that reach out)."""
        return cls.from_texts([(str(path), _text(path.read_bytes(), str(path))) for path in paths])

    @classmethod
    def from_texts(cls, texts: Sequence[tuple[str, str]]) -> RegistryShapes:
        """The shapes of Turtle texts, each with its source name."""
        return cls(load_shapes(list(texts)))

    def check(self, inputs: Sequence[DataInput], tools: ShapesTools) -> ShapesOutcome:
        """Run the shapes on one data graph of every input."""
        data = shapes_data(inputs, tools)
        shapes = self.shapes.graph
        declares_functions = any(any(shapes.subjects(RDF.type, t)) for t in _FUNCTION_TYPES)
        lock = _FUNCTIONS_LOCK if declares_functions else threading.Lock()
        with lock:
            report = run_pyshacl(
                _inferred(data.graph, tools.kb), shapes, None, rules=True, user_shapes=True
            )
        for prefix, namespace in self.shapes.prefixes.items():
            report.bind(prefix, namespace, override=False)
        report.bind("column", COLUMN, override=False)
        issues = _ReportReader(data, self.shapes, tools.data_quality).issues(report)
        return ShapesOutcome(_in_input_order([*data.read_issues, *issues], data.order), report)

    def added_to(
        self, outcome: ValidationOutcome, inputs: Sequence[DataInput], tools: ShapesTools
    ) -> RegistryValidationOutcome:
        """``outcome`` (pedall's validation of ``inputs``) with these shapes' issues added,
        in input order."""
        found = self.check(inputs, tools)
        sources = [item.source for item in inputs]
        return RegistryValidationOutcome(
            _in_input_order([*outcome.issues, *found.issues], sources),
            outcome.records,
            outcome.checker,
            outcome.reference_report,
            found.report,
        )


def _in_input_order(issues: list[PatientIssue], sources: list[str]) -> list[PatientIssue]:
    """Issues by input and line (a stable sort: each row's issues keep their order)."""
    order = {source: index for index, source in enumerate(sources)}
    return sorted(issues, key=lambda i: (order.get(i.source or "", len(order)), i.line or 0))


def _inferred(data: Graph, kb: KnowledgeBase) -> Graph:
    """The data with the ontology and everything OWL RL entails from both (inferred here
    rather than by pyshacl, which would first copy the ontology node by node)."""
    mixed = Graph()
    mixed += data
    mixed += kb.graph
    return without_generalized_triples(owl_rl_closure(mixed))


def _text(payload: bytes, source: str) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ShapesSyntaxError(f"{source}: not UTF-8 text ({error})") from None


@dataclass(frozen=True)
class _ReportReader:
    """Turns the results of a report on ``data`` into located issues."""

    data: ShapesData
    shapes: LoadedShapes
    checker: DataQualityChecker

    def issues(self, report: Graph) -> list[ShapeIssue]:
        results = report.subjects(RDF.type, SH.ValidationResult)
        found = [self._issue(report, result) for result in results]
        order = {source: index for index, source in enumerate(self.data.order)}
        columns = self.checker.model.columns

        def key(issue: ShapeIssue) -> tuple[int, int, str, int, str]:
            position = columns.index(issue.column) if issue.column in columns else len(columns)
            return (
                order.get(issue.source or "", len(order)),
                issue.line or 0,
                issue.node or issue.patient_id or "",
                position,
                issue.message,
            )

        return sorted(found, key=key)

    def _issue(self, report: Graph, result: Node) -> ShapeIssue:
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        location = self.data.location(focus) if focus is not None else None
        record = location.record if location is not None else None
        on_lesion = location is not None and location.column is not None
        column = location.column if location and location.column else self._column(path)
        value = report.value(result, SH.value)
        shown = None
        if record is not None:  # the row's cell, as written
            shown = self._value_as_read(record, PEDALL.hasLesion if on_lesion else path)
        if shown is None and value is not None and value != focus:  # a node's own value is itself
            shown = self._term(value)
        shape = report.value(result, SH.sourceShape)
        named = self._named_shape(shape)
        severity = str(report.value(result, SH.resultSeverity) or SH.Violation)
        component = report.value(result, SH.sourceConstraintComponent)
        return ShapeIssue(
            record.line if record is not None else None,
            column,
            shown,
            self._message(report, result, component),
            record.patient_id if record else patient_id_of(self.data.graph, focus),
            location.source if location is not None else None,
            severity_of(severity),
            record.node if record else self._node(focus),
            str(named) if named is not None else None,
            self._label(shape) or self._label(named),
            severity.rsplit("#", 1)[-1],
            self._term(component) if component is not None else None,
        )

    def _column(self, path: Node | None) -> str | None:
        if not isinstance(path, URIRef):
            return None  # no path, or a complex one (sequence, inverse ...)
        passed_through = column_name(str(path))
        if passed_through is not None:
            return passed_through
        if str(path).startswith(str(PEDALL)):
            return self.checker.column_of(str(path))
        return self._term(path)

    def _value_as_read(self, record: PatientRecord, path: Node | None) -> str | None:
        """A record's value at ``path`` as written in its row."""
        if not isinstance(path, URIRef):
            return None
        passed_through = column_name(str(path))
        if passed_through is not None:
            return record.extra.get(passed_through, "").strip() or None
        return self.checker.value_as_read(record, str(path))

    def _message(self, report: Graph, result: Node, component: Node | None) -> str:
        messages = [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
        preferred = [m for m in messages if m.language in (None, "en")] or messages
        if preferred:
            return str(preferred[0])
        return f"does not conform to {self._term(component) if component else 'the shape'}"

    def _named_shape(self, shape: Node | None) -> Node | None:
        """``shape``, or for a blank node the nearest named shape holding it."""
        seen: set[Node] = set()
        while isinstance(shape, BNode) and shape not in seen:
            seen.add(shape)
            holders = [s for p in _HOLDING for s in self.shapes.graph.subjects(p, shape)]
            shape = holders[0] if holders else None
        return shape

    def _label(self, shape: Node | None) -> str | None:
        if shape is None:
            return None
        for predicate in (SH.name, RDFS.label):
            labels = [
                label
                for label in self.shapes.graph.objects(shape, predicate)
                if isinstance(label, Literal)
            ]
            preferred = [label for label in labels if label.language in (None, "en")] or labels
            if preferred:
                return str(preferred[0])
        return None

    def _term(self, term: Node) -> str:
        """A term as a person reads it: a literal's text, an IRI as a prefixed name."""
        if isinstance(term, Literal):
            return str(term)
        if isinstance(term, URIRef):
            for prefix, namespace in sorted(self.shapes.prefixes.items(), key=lambda p: -len(p[1])):
                if str(term).startswith(namespace) and prefix:
                    return f"{prefix}:{str(term)[len(namespace) :]}"
            return f"<{term}>"
        return f"_:{term}"

    def _node(self, focus: Node | None) -> str | None:
        if isinstance(focus, URIRef):
            return str(focus)
        return f"_:{focus}" if focus is not None else None
