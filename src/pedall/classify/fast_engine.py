"""The fast engine: classification compiled from the same shapes as the reference.

The shapes are compiled once (``pedall.shacl.compiler``); each patient's facts are evaluated
in three-valued logic, and missing fields are searched region by region, stopping as soon
as what is assigned decides every scheme. Patients whose data fall in the same regions
share one outcome (memoized), so a cohort costs little more than its distinct profiles.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import URIRef

from pedall.classify.completion import (
    FieldDomain,
    OpenField,
    PendingCache,
    field_domains,
    open_fields,
)
from pedall.classify.deciding import missing_and_deciding
from pedall.classify.result import (
    NCI_SCHEME,
    RISK_SCHEME,
    Classification,
    Outcome,
    ordered,
    reported_criteria,
    single,
)
from pedall.classify.schemes import Scheme, read_schemes
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.model import PatientModel
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord
from pedall.shacl.compiler import ShapeCompiler
from pedall.shacl.rules import RuleRunner, rule_dependencies
from pedall.shacl.shapes import TripleRule
from pedall.shacl.values import EMPTY, PathValues, Value

MEETS = str(PEDALL.meetsCriterion)
OPEN = PathValues(open=True)
HAS_LESION = str(PEDALL.hasLesion)  # also the field of unknown lesions (see completion)
CACHE_ENTRIES = 1 << 17  # bound on each small cache of shared facts (a memory cap, not data)


@dataclass
class FastEngine:
    """Classifies patient records with the compiled shapes."""

    model: PatientModel
    rules: list[TripleRule]
    schemes: dict[str, Scheme]
    domains: dict[str, FieldDomain]
    criterion_inputs: dict[str, set[str]]
    read_paths: frozenset[str]
    _memo: dict[tuple[object, ...], Outcome] = field(default_factory=dict)
    _runner: RuleRunner = field(init=False)
    # Per record being classified: its facts, and the criteria met (certainly or maybe)
    # under each partial assignment of its missing fields.
    _base: dict[str, PathValues] = field(init=False, default_factory=dict)
    _derived: dict[tuple[tuple[str, CellValue], ...], PathValues] = field(
        init=False, default_factory=dict
    )
    # Across records: the criteria met by the facts the rules read (by their fingerprints).
    _meets: dict[tuple[object, ...], PathValues] = field(init=False, default_factory=dict)
    _rule_paths: tuple[str, ...] = field(init=False, default=())
    # One facts object per (property, reduced value) and per lesion list, so that each
    # fingerprint is computed once.
    _known: dict[tuple[str, type, CellValue], PathValues] = field(init=False, default_factory=dict)
    _lesion_facts: dict[tuple[str, ...], PathValues] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _open: dict[str, OpenField] = field(init=False, default_factory=dict)  # of the record
    _pending: PendingCache = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._runner = RuleRunner(self.rules)
        paths = {p for rule in self.rules for c in rule.conditions for p in c.paths()}
        self._rule_paths = tuple(sorted(paths | {rule.predicate for rule in self.rules}))

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, model: PatientModel | None = None) -> FastEngine:
        model = model or PatientModel.from_knowledge(kb)
        compiler = ShapeCompiler(kb.shapes)
        rules = compiler.triple_rules(str(PEDALL.Patient))
        schemes = read_schemes(kb.graph)
        for name in (RISK_SCHEME, NCI_SCHEME):
            if name not in schemes:
                from pedall.errors import DataFileError

                raise DataFileError(f"the ontology has no risk scheme {name}")
        conditions = [
            compiler.node_shape(URIRef(c.condition)) for s in schemes.values() for c in s.criteria
        ]
        domains = field_domains(model, rules, conditions)
        derived = rule_dependencies(rules)
        inputs: dict[str, set[str]] = {}
        for scheme in schemes.values():
            for criterion in scheme.criteria:
                paths = compiler.node_shape(URIRef(criterion.condition)).paths()
                expanded = set(paths)
                for path in paths:
                    expanded |= derived.get(path, set())
                inputs[criterion.iri] = {p for p in expanded if p in domains}
        read = {p for r in rules for c in r.conditions for p in c.paths()}
        return cls(model, rules, schemes, domains, inputs, frozenset(read))

    def classify(self, records: Iterable[PatientRecord]) -> list[Classification]:
        return [self.classify_one(r) for r in records]

    def classify_one(self, record: PatientRecord) -> Classification:
        key = self._signature(record)
        outcome = self._memo.get(key)
        if outcome is None:
            with self._lock:  # the search keeps per-record state; the service has threads
                outcome = self._memo.get(key)
                if outcome is None:
                    self._open = open_fields(record, self.domains, self.model, self._pending)
                    self._base = self._base_facts(record)
                    outcome = self._outcome(record)
                    self._derived.clear()
                    self._memo[key] = outcome
        return Classification(record.patient_id, outcome, record.line, record.source, record.extra)

    def _signature(self, record: PatientRecord) -> tuple[object, ...]:
        parts: list[object] = [
            tuple(sorted(record.lesions)),
            record.lesions_known,
            tuple(sorted(record.pending)),
        ]
        for prop, domain in self.domains.items():
            value = record.values.get(prop)
            parts.append(None if value is None else (domain.region(value),))
        # Values no rule reads (sex, Down syndrome, ...) cannot change the outcome.
        others = sorted(
            (p, str(v))
            for p, v in record.values.items()
            if p in self.read_paths and p not in self.domains
        )
        parts.append(tuple(others))
        return tuple(parts)

    # -- the search ------------------------------------------------------------------

    def _base_facts(self, record: PatientRecord) -> dict[str, PathValues]:
        """The record's facts: each value reduced to its region's, missing fields open."""
        facts: dict[str, PathValues] = {}
        for prop, value in record.values.items():
            domain = self.domains.get(prop)
            facts[prop] = (
                self._single(prop, domain.representative(value))
                if domain
                else (PathValues((value,)))
            )
        for prop in self._open:
            if prop != HAS_LESION:
                facts[prop] = OPEN
        lesions = self._recorded_lesions(record.lesions)
        facts[HAS_LESION] = (
            PathValues(lesions.values, open=True) if HAS_LESION in self._open else lesions
        )
        return facts

    def _recorded_lesions(self, recorded: tuple[str, ...]) -> PathValues:
        """The facts of some recorded lesions: one type closure a lesion."""
        lesions = self._lesion_facts.get(recorded)
        if lesions is None:
            closures: tuple[Value, ...] = tuple(
                self.model.lesions.closure((lesion,)) for lesion in recorded
            )
            lesions = PathValues(closures)
            if len(self._lesion_facts) < CACHE_ENTRIES:
                self._lesion_facts[recorded] = lesions
        return lesions

    def _facts(self, assigned: Mapping[str, CellValue]) -> dict[str, PathValues]:
        """The facts of the record being classified, with some missing fields assigned."""
        facts = dict(self._base)
        for prop, value in assigned.items():
            if prop == HAS_LESION:  # some of the lesions the record may have, present
                assert isinstance(value, frozenset)
                recorded = self._recorded_lesions(tuple(sorted(value)))
                facts[prop] = PathValues(self._base[HAS_LESION].values + recorded.values)
            else:
                facts[prop] = self._single(prop, value)
        return facts

    def _single(self, prop: str, value: CellValue) -> PathValues:
        key = (prop, type(value), value)
        known = self._known.get(key)
        if known is None:
            known = PathValues((value,))
            if len(self._known) < CACHE_ENTRIES:  # reduced values are few; raw ones stay unshared
                self._known[key] = known
        return known

    def _apply(self, assigned: Mapping[str, CellValue]) -> PathValues:
        """The criteria the record being classified meets under a partial assignment
        (remembered for the record, and across records by the facts the rules read)."""
        key = tuple(sorted(assigned.items()))
        meets = self._derived.get(key)
        if meets is None:
            facts = self._facts(assigned)
            shared = tuple(
                None if (known := facts.get(p)) is None else known.fingerprint
                for p in self._rule_paths
            )
            meets = self._meets.get(shared)
            if meets is None:
                meets = self._runner.apply(facts).get(MEETS, EMPTY)
                if len(self._meets) >= CACHE_ENTRIES:
                    self._meets.clear()
                self._meets[shared] = meets
            self._derived[key] = meets
        return meets

    def _possible(self, scheme: Scheme, meets: PathValues) -> frozenset[str]:
        certain = {str(v) for v in meets.values}
        maybe = {str(v) for v in meets.maybe}

        def truth(iri: str) -> bool | None:
            return True if iri in certain else (None if iri in maybe else False)

        return scheme.possible(truth)

    def _reachable(
        self,
        record: PatientRecord,
        scheme: Scheme,
        assigned: dict[str, CellValue],
        wanted: frozenset[str],
    ) -> frozenset[str]:
        """The codes of ``wanted`` that some completion of ``assigned`` gets in ``scheme``.

        Depth first over the open fields, pruned: a branch is left as soon as what it
        assigns rules out every code still wanted (three-valued), and the search stops
        once every code it could reach is found. Exponential only in the worst case, where
        enumerating every completion's group (as this once did) always was."""
        meets = self._apply(assigned)
        could = self._possible(scheme, meets)
        if len(could) == 1:  # decided: every completion gets it
            return could & wanted
        wanted = wanted & could
        if not wanted:
            return wanted
        prop = self._next_field(record, assigned, meets)
        found: frozenset[str] = frozenset()
        for value in self._open[prop].values:
            found |= self._reachable(record, scheme, {**assigned, prop: value}, wanted - found)
            if found == wanted:
                break
        return found

    def _next_field(
        self,
        record: PatientRecord,
        assigned: Mapping[str, CellValue],
        meets: PathValues,
    ) -> str:
        """The open field read by the most undecided criteria (fewest values on a tie)."""
        undecided = {str(v) for v in meets.maybe}
        pending = [p for p in self._open if p not in assigned]
        return max(
            pending,
            key=lambda p: (
                sum(1 for c in undecided if p in self.criterion_inputs.get(c, ())),
                -len(self._open[p].values),
            ),
        )

    def _outcome(self, record: PatientRecord) -> Outcome:
        risk = self.schemes[RISK_SCHEME]
        every = frozenset(risk.codes())
        possible = self._reachable(record, risk, {}, every)
        groups = ordered(risk, set(possible))
        # For each open field, each of its values with the groups possible when it takes it.
        narrowing = {
            prop: [
                (value, self._reachable(record, risk, {prop: value}, possible))
                for value in field.values
            ]
            for prop, field in self._open.items()
        }
        missing, deciding = missing_and_deciding(
            self._open, narrowing, possible, self.domains, self.model, risk.codes()
        )
        certain = self._certain_criteria(record, risk)
        criteria = reported_criteria(risk, certain, groups[0])
        nci = self.schemes[NCI_SCHEME]
        nci_codes = self._reachable(record, nci, {}, frozenset(nci.codes()))
        return Outcome(groups, missing, criteria, single(set(nci_codes)), deciding)

    def _certain_criteria(self, record: PatientRecord, scheme: Scheme) -> set[str]:
        """Criteria that hold in every completion of the record."""
        root = self._apply({})
        certain = {str(v) for v in root.values}
        for criterion in scheme.criteria:
            if criterion.iri in certain or all(str(v) != criterion.iri for v in root.maybe):
                continue
            inputs = [p for p in self._open if p in self.criterion_inputs[criterion.iri]]
            if self._always(criterion.iri, {}, inputs):
                certain.add(criterion.iri)
        return certain

    def _always(self, iri: str, assigned: dict[str, CellValue], inputs: list[str]) -> bool:
        """Whether the criterion ``iri`` holds in every completion of ``assigned`` over the
        open ``inputs`` it reads: depth first, a branch settled as soon as three-valued
        logic says the criterion certainly holds there (all below hold) or certainly not."""
        meets = self._apply(assigned)
        if any(str(v) == iri for v in meets.values):
            return True
        if not inputs or all(str(v) != iri for v in meets.maybe):
            return False
        prop, rest = inputs[0], inputs[1:]
        return all(self._always(iri, {**assigned, prop: v}, rest) for v in self._open[prop].values)
