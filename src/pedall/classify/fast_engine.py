"""The fast engine: classification compiled from the same shapes as the reference.

The shapes are compiled once (``pedall.classify.spec``); each patient's facts are
evaluated in three-valued logic, and missing fields are searched region by region,
stopping as soon as what is assigned decides every scheme. Patients whose data fall in the
same regions share one outcome (memoized), so a cohort costs little more than its distinct
profiles. The engine holds only what records share; each record is searched by a
``_Search`` of its own, so threads may classify at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pedall.classify.completion import OpenField, PendingCache, open_fields
from pedall.classify.deciding import missing_and_deciding
from pedall.classify.result import Classification, Outcome, outcome_of
from pedall.classify.schemes import Scheme
from pedall.classify.spec import EngineSpec
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.model import PatientModel
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord
from pedall.shacl.rules import RuleRunner
from pedall.shacl.values import EMPTY, PathValues, Value

MEETS = str(PEDALL.meetsCriterion)
OPEN = PathValues(open=True)
HAS_LESION = str(PEDALL.hasLesion)  # also the field of unknown lesions (see completion)
CACHE_ENTRIES = 1 << 17  # bound on each small cache of shared facts (a memory cap, not data)


@dataclass
class FastEngine:
    """Classifies patient records with the compiled shapes."""

    spec: EngineSpec
    # What records share: each outcome by the record's signature, the criteria met by the
    # facts the rules read (by their fingerprints), the codes possible by the criteria met,
    # one facts object per (property, reduced value) and per lesion list (so each
    # fingerprint is computed once).
    _memo: dict[tuple[object, ...], Outcome] = field(init=False, default_factory=dict)
    # The outcomes searched since ``take_found`` was last called, once ``keep_found`` is.
    _found: list[tuple[tuple[object, ...], Outcome]] | None = field(init=False, default=None)
    _meets: dict[tuple[object, ...], PathValues] = field(init=False, default_factory=dict)
    _known: dict[tuple[str, type, CellValue], PathValues] = field(init=False, default_factory=dict)
    _lesion_facts: dict[tuple[str, ...], PathValues] = field(init=False, default_factory=dict)
    _lesion_keys: dict[tuple[str, ...], tuple[object, ...]] = field(
        init=False, default_factory=dict
    )
    _possible: dict[tuple[str, object], frozenset[str]] = field(init=False, default_factory=dict)
    _met: dict[object, tuple[frozenset[str], frozenset[str]]] = field(
        init=False, default_factory=dict
    )
    _pending: PendingCache = field(init=False, default_factory=dict, repr=False)
    _runner: RuleRunner = field(init=False)
    _rule_paths: tuple[str, ...] = field(init=False, default=())
    rule_places: dict[str, int] = field(init=False, default_factory=dict)
    # What a record's signature reads: each domain's path, region function and the regions
    # of the values met so far (at most CACHE_ENTRIES a field), and the paths rules read
    # that have no domain.
    _regions: tuple[tuple[str, Callable[[CellValue], object], dict[CellValue, object]], ...] = (
        field(init=False)
    )
    _others: frozenset[str] = field(init=False)
    _tested_classes: frozenset[str] = field(init=False)  # every class a shape tests

    def __post_init__(self) -> None:
        rules = list(self.spec.rules)
        self._runner = RuleRunner(rules)
        paths = {p for rule in rules for c in rule.conditions for p in c.paths()}
        self._rule_paths = tuple(sorted(paths | {rule.predicate for rule in rules}))
        self.rule_places = {path: place for place, path in enumerate(self._rule_paths)}
        self._regions = tuple((p, d.region, {}) for p, d in self.spec.domains.items())
        self._others = self.spec.read_paths - self.spec.domains.keys()
        shapes = [*self.spec.conditions.values(), *(c for r in rules for c in r.conditions)]
        self._tested_classes = frozenset(c for shape in shapes for c in shape.classes())

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, model: PatientModel | None = None) -> FastEngine:
        return cls(EngineSpec.from_knowledge(kb, model))

    @property
    def model(self) -> PatientModel:
        return self.spec.model

    def classify(self, records: Iterable[PatientRecord]) -> list[Classification]:
        return [self.classify_one(r) for r in records]

    def classify_one(self, record: PatientRecord) -> Classification:
        key = self._signature(record)
        outcome = self._memo.get(key)
        if outcome is None:
            outcome = _Search(self, record).outcome()
            self._memo[key] = outcome
            if self._found is not None:
                self._found.append((key, outcome))
        return Classification(record.patient_id, outcome, record.line, record.source, record.extra)

    def keep_found(self) -> None:
        """From now on, keep each outcome searched until ``take_found`` takes it."""
        if self._found is None:
            self._found = []

    def take_found(self) -> list[tuple[tuple[object, ...], Outcome]]:
        """The outcomes searched since ``keep_found`` or the last call, by signature (for
        another engine of the same knowledge base to ``learn``)."""
        if self._found is None:
            return []
        found, self._found = self._found, []
        return found

    def learn(self, found: Iterable[tuple[tuple[object, ...], Outcome]]) -> None:
        """Take outcomes another engine of the same knowledge base searched (``take_found``):
        an outcome depends on the signature alone, so a record with one of these signatures
        is not searched again."""
        for key, outcome in found:
            self._memo.setdefault(key, outcome)

    def distinct_outcomes(self) -> int:
        """How many distinct data profiles the engine has classified (and remembers)."""
        return len(self._memo)

    def _signature(self, record: PatientRecord) -> tuple[object, ...]:
        get = record.values.get
        key: list[object] = [
            self._lesion_key(record.lesions),
            record.lesions_known,
            tuple(sorted(record.pending)),
        ]
        for path, region, seen in self._regions:
            value = get(path)
            if value is None:
                key.append(None)
                continue
            found = seen.get(value)
            if found is None:
                found = region(value)
                if len(seen) < CACHE_ENTRIES:
                    seen[value] = found
            key.append(found)
        # Values no rule reads (sex, Down syndrome, ...) cannot change the outcome.
        others = self._others
        key.append(tuple(sorted((p, str(v)) for p, v in record.values.items() if p in others)))
        return tuple(key)

    def _lesion_key(self, lesions: tuple[str, ...]) -> tuple[object, ...]:
        """What the shapes can tell of a record's lesions: the classes they test each
        lesion for (its type closure less the classes no shape names; a lesion tested for
        nothing still counts), and the bounds the lesions put on other fields (which cut the
        values a missing field may take). Lesions alike in both give the same outcome."""
        key = self._lesion_keys.get(lesions)
        if key is None:
            vocabulary, tested = self.spec.model.lesions, self._tested_classes
            key = (
                tuple(sorted(tuple(sorted(vocabulary.closure((x,)) & tested)) for x in lesions)),
                tuple(sorted(vocabulary.bounds_of(lesions).items())),
            )
            if len(self._lesion_keys) < CACHE_ENTRIES:
                self._lesion_keys[lesions] = key
        return key

    def open_fields(self, record: PatientRecord) -> dict[str, OpenField]:
        return open_fields(record, self.spec.domains, self.spec.model, self._pending)

    def recorded_lesions(self, recorded: tuple[str, ...]) -> PathValues:
        """The facts of some recorded lesions: one type closure a lesion (shared)."""
        lesions = self._lesion_facts.get(recorded)
        if lesions is None:
            closures: tuple[Value, ...] = tuple(
                self.spec.model.lesions.closure((lesion,)) for lesion in recorded
            )
            lesions = PathValues(closures)
            if len(self._lesion_facts) < CACHE_ENTRIES:
                self._lesion_facts[recorded] = lesions
        return lesions

    def single(self, prop: str, value: CellValue) -> PathValues:
        """The facts of one value (shared)."""
        key = (prop, type(value), value)
        known = self._known.get(key)
        if known is None:
            known = PathValues((value,))
            if len(self._known) < CACHE_ENTRIES:  # reduced values are few; raw ones stay unshared
                self._known[key] = known
        return known

    def possible(self, scheme: Scheme, meets: PathValues) -> frozenset[str]:
        """The codes of ``scheme`` possible when the criteria ``meets`` are met (shared by
        the criteria's fingerprint)."""
        key = (scheme.iri, meets.fingerprint)
        found = self._possible.get(key)
        if found is None:
            certain, maybe = self.met(meets)

            def truth(iri: str) -> bool | None:
                return True if iri in certain else (None if iri in maybe else False)

            found = scheme.possible(truth)
            if len(self._possible) >= CACHE_ENTRIES:
                self._possible.clear()
            self._possible[key] = found
        return found

    def rule_key(self, facts: Mapping[str, PathValues]) -> list[object]:
        """The fingerprints of the facts the rules read, by path (what ``meets`` is
        remembered by); ``rule_places`` says where each path's is."""
        return [None if (k := facts.get(p)) is None else k.fingerprint for p in self._rule_paths]

    def met(self, meets: PathValues) -> tuple[frozenset[str], frozenset[str]]:
        """The IRIs of the criteria certainly and maybe met in ``meets`` (shared by its
        fingerprint)."""
        key = meets.fingerprint
        found = self._met.get(key)
        if found is None:
            found = (frozenset(map(str, meets.values)), frozenset(map(str, meets.maybe)))
            if len(self._met) >= CACHE_ENTRIES:
                self._met.clear()
            self._met[key] = found
        return found

    def meets(
        self, facts: dict[str, PathValues], shared: tuple[object, ...] | None = None
    ) -> PathValues:
        """The criteria met under ``facts`` (shared by the facts the rules read: ``shared``
        is their ``rule_key`` when the caller has it)."""
        shared = shared if shared is not None else tuple(self.rule_key(facts))
        meets = self._meets.get(shared)
        if meets is None:
            meets = self._runner.apply(facts).get(MEETS, EMPTY)
            if len(self._meets) >= CACHE_ENTRIES:
                self._meets.clear()
            self._meets[shared] = meets
        return meets


class _Search:
    """The search over one record's missing fields: its facts, its open fields and the
    criteria met (certainly or maybe) under each partial assignment of them."""

    def __init__(self, engine: FastEngine, record: PatientRecord) -> None:
        self.engine = engine
        self.spec = engine.spec
        self.open = engine.open_fields(record)
        self.base = self._base_facts(record)
        self.base_key = engine.rule_key(self.base)
        self.derived: dict[tuple[tuple[str, CellValue], ...], PathValues] = {}

    def outcome(self) -> Outcome:
        schemes = self.spec.schemes
        primary = schemes.primary
        possible = self._reachable(primary, {}, frozenset(primary.codes()))
        # For each open field, each of its values with the groups possible when it takes it;
        # none when one group is possible (every completion gets it: no answer narrows it).
        narrowing = {
            prop: [(value, self._reachable(primary, {prop: value}, possible)) for value in f.values]
            for prop, f in self.open.items()
            if len(possible) > 1
        }
        missing_deciding = missing_and_deciding(
            self.open, narrowing, possible, self.spec.domains, self.spec.model, primary.codes()
        )
        others = [self._reachable(s, {}, frozenset(s.codes())) for s in schemes.secondary]
        return outcome_of(
            schemes, possible, missing_deciding, self._certain_criteria(primary), others
        )

    def _base_facts(self, record: PatientRecord) -> dict[str, PathValues]:
        """The record's facts: each value reduced to its region's, missing fields open."""
        facts: dict[str, PathValues] = {}
        for prop, value in record.values.items():
            domain = self.spec.domains.get(prop)
            facts[prop] = (
                self.engine.single(prop, domain.representative(value))
                if domain
                else (PathValues((value,)))
            )
        for prop in self.open:
            if prop != HAS_LESION:
                facts[prop] = OPEN
        lesions = self.engine.recorded_lesions(record.lesions)
        facts[HAS_LESION] = (
            PathValues(lesions.values, open=True) if HAS_LESION in self.open else lesions
        )
        return facts

    def _facts(self, assigned: Mapping[str, CellValue]) -> dict[str, PathValues]:
        """The record's facts with some missing fields assigned."""
        facts = dict(self.base)
        for prop, value in assigned.items():
            if prop == HAS_LESION:  # some of the lesions the record may have, present
                assert isinstance(value, frozenset)
                recorded = self.engine.recorded_lesions(tuple(sorted(value)))
                facts[prop] = PathValues(self.base[HAS_LESION].values + recorded.values)
            else:
                facts[prop] = self.engine.single(prop, value)
        return facts

    def _apply(self, assigned: Mapping[str, CellValue]) -> PathValues:
        """The criteria the record meets under a partial assignment (remembered for the
        record, and across records by the engine)."""
        key = tuple(sorted(assigned.items()))
        meets = self.derived.get(key)
        if meets is None:
            facts = self._facts(assigned)
            shared = self.base_key.copy()  # the record's, but where a field is assigned
            places = self.engine.rule_places
            for prop in assigned:
                if prop in places:
                    shared[places[prop]] = facts[prop].fingerprint
            meets = self.derived[key] = self.engine.meets(facts, tuple(shared))
        return meets

    def _possible(self, scheme: Scheme, meets: PathValues) -> frozenset[str]:
        return self.engine.possible(scheme, meets)

    def _reachable(
        self, scheme: Scheme, assigned: dict[str, CellValue], wanted: frozenset[str]
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
        prop = self._next_field(assigned, meets)
        found: frozenset[str] = frozenset()
        for value in self.open[prop].values:
            found |= self._reachable(scheme, {**assigned, prop: value}, wanted - found)
            if found == wanted:
                break
        return found

    def _next_field(self, assigned: Mapping[str, CellValue], meets: PathValues) -> str:
        """The open field read by the most undecided criteria (fewest values on a tie)."""
        undecided = self.engine.met(meets)[1]
        inputs = self.spec.criterion_inputs
        pending = [p for p in self.open if p not in assigned]
        return max(
            pending,
            key=lambda p: (
                sum(1 for c in undecided if p in inputs.get(c, ())),
                -len(self.open[p].values),
            ),
        )

    def _certain_criteria(self, scheme: Scheme) -> set[str]:
        """Criteria that hold in every completion of the record."""
        root = self._apply({})
        certain_met, maybe_met = self.engine.met(root)
        certain = set(certain_met)
        for criterion in scheme.criteria:
            if criterion.iri in certain or criterion.iri not in maybe_met:
                continue
            inputs = [p for p in self.open if p in self.spec.criterion_inputs[criterion.iri]]
            if self._always(criterion.iri, {}, inputs):
                certain.add(criterion.iri)
        return certain

    def _always(self, iri: str, assigned: dict[str, CellValue], inputs: list[str]) -> bool:
        """Whether the criterion ``iri`` holds in every completion of ``assigned`` over the
        open ``inputs`` it reads: depth first, a branch settled as soon as three-valued
        logic says the criterion certainly holds there (all below hold) or certainly not."""
        meets = self._apply(assigned)
        certain, maybe = self.engine.met(meets)
        if iri in certain:
            return True
        if not inputs or iri not in maybe:
            return False
        prop, rest = inputs[0], inputs[1:]
        return all(self._always(iri, {**assigned, prop: v}, rest) for v in self.open[prop].values)
