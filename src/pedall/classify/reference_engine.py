"""The reference engine: pyshacl with OWL RL inference runs the classification shapes on
every completion of each patient's missing fields.

This is the semantics the fast engine must reproduce. Every completion of a record (the
same field domains as the fast engine, ``pedall.classify.completion``) becomes one
``pedall:Patient`` node of an RDF data graph; pyshacl mixes in the ontology, computes the
OWL RL closure (so a KMT2A-AFF1 lesion is a KMT2A rearrangement by inference), applies the
SHACL-AF rules of the classification shapes in place, and the ``pedall:meetsCriterion``
triples it derives are read back. A record's outcome summarizes its completions with the
definitions of ``pedall.classify.result``.

Completions are validated in batches (``BATCH_COMPLETIONS`` nodes a pyshacl run), never one
run per patient. A record with more than ``COMPLETION_CAP`` completions is refused with a
``PatientDataError`` naming it: fill in more of its fields or use the fast engine.

The data graph is an rdflib graph. pyshacl 0.40 also accepts a ``pyoxigraph.Store``, but
not with this configuration: mixing in an ontology that holds RDF lists fails on a store
(pyshacl's inoculation appends to a list through a ``None`` pattern), and owlrl's datatype
rules add triples with a literal subject, which a store cannot hold.

pyshacl runs the rules of a node shape after those of every shape with a lower
``sh:order`` (and within a shape by the rules' own ``sh:order``); the shapes must order
their rule shapes consistently with their rules, which ``check_rule_order`` verifies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from pedall.classify.completion import OpenField, PendingCache, completions, open_fields
from pedall.classify.deciding import missing_and_deciding
from pedall.classify.result import Classification, Outcome, outcome_of
from pedall.classify.spec import EngineSpec
from pedall.errors import DataFileError, PatientDataError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.graph import PatientGraphWriter
from pedall.patients.model import PatientModel
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord
from pedall.shacl.pyshacl_runner import run_pyshacl

COMPLETION_CAP = 20_000
BATCH_COMPLETIONS = 1_000
COMPLETION_NODE = "urn:pedall:completion:"
CompletionResult = tuple[dict[str, CellValue], set[str]]  # a completion, the criteria it meets


def check_rule_order(shapes: Graph) -> None:
    """DataFileError unless pyshacl's order of execution follows the rules' ``sh:order``.

    pyshacl runs the rule shapes by their own ``sh:order`` (shapes of equal order in no
    set order) and each shape's rules by the rules' ``sh:order``. So the rules of a later
    shape must not have a lower order than those of an earlier one, and shapes of equal
    order must hold rules of a single order between them.
    """
    by_shape_order: dict[float, dict[str, list[float]]] = {}
    for shape in set(shapes.subjects(SH.rule, None)):
        orders = [_order(shapes.value(rule, SH.order)) for rule in shapes.objects(shape, SH.rule)]
        by_shape_order.setdefault(_order(shapes.value(shape, SH.order)), {})[str(shape)] = orders
    ceiling: tuple[float, str] | None = None
    for shape_order in sorted(by_shape_order):
        group = by_shape_order[shape_order]
        orders = [o for rule_orders in group.values() for o in rule_orders]
        if len(group) > 1 and len(set(orders)) > 1:
            raise DataFileError(
                f"rule shapes {', '.join(sorted(group))} share sh:order {shape_order:g} but "
                "hold rules of different orders; give them distinct sh:order values"
            )
        if ceiling is not None and min(orders) < ceiling[0]:
            raise DataFileError(
                f"the rules of {', '.join(sorted(group))} (sh:order {shape_order:g}) would run "
                f"after rules of order {ceiling[0]:g} of {ceiling[1]}; order the rule shapes "
                "as their rules"
            )
        if ceiling is None or max(orders) > ceiling[0]:
            holder = next(name for name, o in group.items() if max(orders) in o)
            ceiling = (max(orders), holder)


def _order(term: object) -> float:
    return float(term.toPython()) if isinstance(term, Literal) else 0.0


@dataclass(frozen=True)
class _Completion:
    record: int
    values: dict[str, CellValue]


@dataclass
class ReferenceEngine:
    """Classifies patient records with pyshacl and owlrl over the shapes and the ontology.

    >>> engine = ReferenceEngine.from_knowledge(KnowledgeBase.load())  # doctest: +SKIP
    >>> engine.classify(records)  # doctest: +SKIP
    """

    spec: EngineSpec
    cap: int = COMPLETION_CAP
    batch_size: int = BATCH_COMPLETIONS
    _pending: PendingCache = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_rule_order(self.spec.shapes)

    @classmethod
    def from_knowledge(
        cls, kb: KnowledgeBase, model: PatientModel | None = None
    ) -> ReferenceEngine:
        """The engine over ``kb``'s ontology and its classification shapes."""
        return cls(EngineSpec.from_knowledge(kb, model))

    @property
    def model(self) -> PatientModel:
        return self.spec.model

    def open_fields(self, record: PatientRecord) -> dict[str, OpenField]:
        """The record's missing fields and the values each may take."""
        return open_fields(record, self.spec.domains, self.spec.model, self._pending)

    def completion_count(self, record: PatientRecord) -> int:
        """How many completions of its missing fields the record has."""
        return math.prod(len(f.values) for f in self.open_fields(record).values())

    def refusals(self, records: Iterable[PatientRecord]) -> list[PatientIssue]:
        """An issue for each record with more completions than the cap."""
        issues = []
        for record in records:
            count = self.completion_count(record)
            if count > self.cap:
                columns = [f.column for f in self.open_fields(record).values()]
                issues.append(
                    PatientIssue(
                        record.line,
                        None,
                        None,
                        f"the reference engine would have to check {count:,} completions of "
                        f"the missing fields ({', '.join(columns)}), more than its cap of "
                        f"{self.cap:,}; fill in more of them or use the fast engine",
                        record.patient_id,
                        record.source,
                        node=record.node,
                    )
                )
        return issues

    def classify(self, records: Iterable[PatientRecord]) -> list[Classification]:
        """Classify every record; PatientDataError (naming each) if a record is over the cap."""
        batch = list(records)
        return self.summarize(batch, self.completion_criteria(batch))

    def summarize(
        self, records: list[PatientRecord], met: list[list[CompletionResult]]
    ) -> list[Classification]:
        """Each record's classification from what its completions meet (as the fast engine
        defines possible groups, missing fields, criteria and NCI/Rome)."""
        return [
            Classification(r.patient_id, self._outcome(r, met[i]), r.line, r.source, r.extra)
            for i, r in enumerate(records)
        ]

    def completion_criteria(self, records: list[PatientRecord]) -> list[list[CompletionResult]]:
        """For each record, each completion of its missing fields with the criteria that
        pyshacl derives for it; PatientDataError if a record is over the cap."""
        refused = self.refusals(records)
        if refused:
            raise PatientDataError(refused)
        met: list[list[CompletionResult]] = [[] for _ in records]
        for chunk in self._chunks(records):
            for completion, criteria in zip(chunk, self._run(chunk, records), strict=True):
                met[completion.record].append((completion.values, criteria))
        return met

    def _chunks(self, records: list[PatientRecord]) -> Iterator[list[_Completion]]:
        chunk: list[_Completion] = []
        for index, record in enumerate(records):
            for values in completions(record, self.open_fields(record)):
                chunk.append(_Completion(index, values))
                if len(chunk) >= self.batch_size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def _run(self, chunk: list[_Completion], records: list[PatientRecord]) -> list[set[str]]:
        """One pyshacl run over a chunk of completions: the criteria each one meets."""
        writer = PatientGraphWriter(self.spec.model)
        data = Graph()
        nodes = [URIRef(f"{COMPLETION_NODE}{n}") for n in range(len(chunk))]
        for node, completion in zip(nodes, chunk, strict=True):
            writer.add(data, node, completion.values, records[completion.record].lesions)
        run_pyshacl(data, self.spec.shapes, self.spec.ontology, rules=True)
        return [{str(c) for c in data.objects(node, PEDALL.meetsCriterion)} for node in nodes]

    def _outcome(self, record: PatientRecord, met: list[CompletionResult]) -> Outcome:
        schemes = self.spec.schemes
        primary = schemes.primary
        groups_of = [primary.assign_met(criteria) for _, criteria in met]
        possible = frozenset(groups_of)
        open_now = self.open_fields(record)
        narrowing = {
            prop: [
                (
                    value,
                    frozenset(
                        group
                        for (values, _), group in zip(met, groups_of, strict=True)
                        if values[prop] == value
                    ),
                )
                for value in open_field.values
            ]
            for prop, open_field in open_now.items()
        }
        missing_deciding = missing_and_deciding(
            open_now, narrowing, possible, self.spec.domains, self.spec.model, primary.codes()
        )
        certain = set.intersection(*(criteria for _, criteria in met))
        others = [
            frozenset(scheme.assign_met(criteria) for _, criteria in met)
            for scheme in schemes.secondary
        ]
        return outcome_of(schemes, possible, missing_deciding, certain, others)
