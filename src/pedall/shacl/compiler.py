"""Compile the SHACL shapes pedall uses (node and property shapes, SHACL-AF triple rules)
into Python predicates, evaluated in two-valued SHACL semantics or in three-valued
(Kleene) logic where a field is not known yet.

This is the fast engine's reading of ``shapes/``: nothing clinical is written here, every
threshold and code comes from the shapes. The supported subset is what the shapes use;
anything else is a ``DataFileError`` that names the construct, so a new kind of shape
cannot be silently misread (the reference engine, pyshacl, reads any shape).

Values of a focus node's property, as the evaluator sees them:
- ``URIRef`` for IRIs (coded values), ``bool``, ``int``/``float`` numbers, ``str`` strings;
- a ``frozenset`` of class IRIs for a lesion (its type closure), so ``sh:class`` is a
  membership test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import cast

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from pedall.errors import DataFileError

Value = URIRef | bool | int | float | str | frozenset[str]
Truth = bool | None  # None: not known yet (three-valued logic)

XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC_CONSTRAINTS = {
    SH.minInclusive: lambda v, t: v >= t,
    SH.minExclusive: lambda v, t: v > t,
    SH.maxInclusive: lambda v, t: v <= t,
    SH.maxExclusive: lambda v, t: v < t,
}
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")
SKOS_DEFINITION = URIRef("http://www.w3.org/2004/02/skos/core#definition")
PEDALL_SECTION = URIRef("https://w3id.org/pedall/section")
# Where a data-quality issue of a node-level constraint is reported (see validation.py).
REPORTED_PATH = URIRef("https://w3id.org/pedall/reportedPath")
_ANNOTATION_KEYS = {RDFS_LABEL, RDFS_COMMENT, DCTERMS_SOURCE, SKOS_DEFINITION, PEDALL_SECTION}
_PROPERTY_KEYS = {
    *_ANNOTATION_KEYS,
    SH.deactivated,
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.hasValue,
    SH["in"],
    SH["class"],
    SH.datatype,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    *_NUMERIC_CONSTRAINTS,
}
_NODE_KEYS = {SH.property, SH["and"], SH["or"], SH["not"], SH.node, SH["class"]}
_IGNORED_KEYS = {
    RDF.type,
    *_ANNOTATION_KEYS,
    REPORTED_PATH,
    SH.targetClass,
    SH.targetNode,
    SH.rule,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.deactivated,
    SH.order,
}


def to_native(term: object) -> Value:
    """An rdflib term as the evaluator's value."""
    if isinstance(term, URIRef):
        return term
    if isinstance(term, Literal):
        python = term.toPython()
        if isinstance(python, bool):
            return python
        if isinstance(python, int):
            return python
        if isinstance(python, (float, Decimal)):
            return float(python)
        return str(python)
    raise DataFileError(f"unsupported value in shapes: {term!r}")


def same_value(a: Value, b: Value) -> bool:
    """RDF term equality on natives: true is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, URIRef) or isinstance(b, URIRef):
        return isinstance(a, URIRef) and isinstance(b, URIRef) and a == b
    return a == b


@dataclass(frozen=True)
class PathValues:
    """What is known of one property of a focus node.

    ``values`` are certainly present; ``maybe`` may be present (derived by a rule whose
    condition is not decided yet); ``open`` means the field is missing and any single value
    of its domain may complete it.
    """

    values: tuple[Value, ...] = ()
    maybe: tuple[Value, ...] = ()
    open: bool = False

    @property
    def decided(self) -> bool:
        return not self.maybe and not self.open

    @cached_property
    def fingerprint(self) -> object:
        """What a condition can tell apart, as a small number shared by equal facts
        (computed once per object). Types are kept because Python equates ``True`` with
        ``1`` and ``1`` with ``1.0``; SHACL does not."""
        raw = (
            self.values,
            tuple(type(v) for v in self.values),
            self.maybe,
            tuple(type(v) for v in self.maybe),
            self.open,
        )
        token = _FINGERPRINTS.get(raw)
        if token is None:
            with _FINGERPRINT_LOCK:  # two threads must not hand out the same number
                token = _FINGERPRINTS.get(raw)
                if token is None:
                    if len(_FINGERPRINTS) >= _FINGERPRINT_LIMIT:
                        return raw  # never equal to a number: correct, only not shared
                    token = _FINGERPRINTS[raw] = len(_FINGERPRINTS)
        return token


# Fingerprints handed out so far (they are never reassigned, so they can key memos).
_FINGERPRINTS: dict[tuple[object, ...], int] = {}
_FINGERPRINT_LIMIT = 1_000_000
_FINGERPRINT_LOCK = threading.Lock()


EMPTY = PathValues()
Facts = Mapping[str, PathValues]


def _kleene_and(truths: Iterable[Truth]) -> Truth:
    result: Truth = True
    for truth in truths:
        if truth is False:
            return False
        if truth is None:
            result = None
    return result


def _kleene_or(truths: Iterable[Truth]) -> Truth:
    result: Truth = False
    for truth in truths:
        if truth is True:
            return True
        if truth is None:
            result = None
    return result


def _not(truth: Truth) -> Truth:
    return None if truth is None else not truth


@dataclass(frozen=True)
class ValueTest:
    """A constraint on each value of a path (every value must pass)."""

    kind: str
    argument: object

    def check(self, value: Value) -> bool:
        if self.kind in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            threshold = self.argument
            assert isinstance(threshold, (int, float))
            return bool(_NUMERIC_CONSTRAINTS[SH[self.kind]](value, threshold))
        if self.kind == "in":
            assert isinstance(self.argument, tuple)
            return any(same_value(value, allowed) for allowed in self.argument)
        if self.kind == "class":
            return isinstance(value, frozenset) and str(self.argument) in value
        if self.kind == "datatype":
            return _has_datatype(value, str(self.argument))
        raise DataFileError(f"unsupported value test {self.kind}")


def _has_datatype(value: Value, datatype: str) -> bool:
    if datatype == XSD + "boolean":
        return isinstance(value, bool)
    if datatype == XSD + "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if datatype in (XSD + "decimal", XSD + "double", XSD + "float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if datatype == XSD + "string":
        return isinstance(value, str) and not isinstance(value, URIRef)
    return False


@dataclass(frozen=True)
class PropertyShape:
    """A compiled ``sh:property`` shape on a simple predicate path."""

    node: str
    path: str
    min_count: int | None = None
    max_count: int | None = None
    has_value: tuple[Value, ...] = ()
    tests: tuple[ValueTest, ...] = ()
    qualified: NodeShape | None = None
    qualified_min: int | None = None
    qualified_max: int | None = None
    message: str | None = None
    severity: str = "Violation"
    deactivated: bool = False

    def evaluate(self, facts: Facts) -> Truth:
        known = facts.get(self.path, EMPTY)
        truths: list[Truth] = []
        certain = len(known.values)
        most = certain + len(known.maybe) + (1 if known.open else 0)
        if self.min_count is not None:
            truths.append(
                True if certain >= self.min_count else (False if most < self.min_count else None)
            )
        if self.max_count is not None:
            truths.append(
                True if most <= self.max_count else (False if certain > self.max_count else None)
            )
        for wanted in self.has_value:
            if any(same_value(v, wanted) for v in known.values):
                truths.append(True)
            elif known.open or any(same_value(v, wanted) for v in known.maybe):
                truths.append(None)
            else:
                truths.append(False)
        for test in self.tests:
            truths.append(self._each(test, known))
        if self.qualified is not None:
            truths.append(self._qualified(known))
        return _kleene_and(truths)

    @staticmethod
    def _each(test: ValueTest, known: PathValues) -> Truth:
        if not all(test.check(v) for v in known.values):
            return False
        if known.open or not all(test.check(v) for v in known.maybe):
            return None
        return True

    def _qualified(self, known: PathValues) -> Truth:
        assert self.qualified is not None
        shape = self.qualified
        conforming = sum(1 for v in known.values if shape.evaluate_value(v))
        possible = conforming + sum(1 for v in known.maybe if shape.evaluate_value(v))
        possible += 1 if known.open else 0
        truths: list[Truth] = []
        if self.qualified_min is not None:
            lo = self.qualified_min
            truths.append(True if conforming >= lo else (False if possible < lo else None))
        if self.qualified_max is not None:
            hi = self.qualified_max
            truths.append(True if possible <= hi else (False if conforming > hi else None))
        return _kleene_and(truths)


@dataclass(frozen=True)
class NodeShape:
    """A compiled node shape: the conjunction of its parts."""

    iri: str
    properties: tuple[PropertyShape, ...] = ()
    all_of: tuple[NodeShape, ...] = ()
    any_of: tuple[tuple[NodeShape, ...], ...] = ()
    none_of: tuple[NodeShape, ...] = ()
    value_classes: tuple[str, ...] = ()  # sh:class on the node itself (value shapes)
    message: str | None = None
    severity: str = "Violation"
    reported_path: str | None = None  # pedall:reportedPath: where its issues are reported
    deactivated: bool = False

    def evaluate(self, facts: Facts) -> Truth:
        """Three-valued: True / False when decided by what is known, else None."""
        truths: list[Truth] = [p.evaluate(facts) for p in self.properties]
        truths.append(self.evaluate_components(facts))
        return _kleene_and(truths)

    def evaluate_components(self, facts: Facts) -> Truth:
        """The node-level constraints alone (sh:and, sh:node, sh:or, sh:not), without the
        property shapes: what a SHACL engine reports with this shape as the source shape."""
        truths: list[Truth] = [s.evaluate(facts) for s in self.all_of]
        truths += [_kleene_or(s.evaluate(facts) for s in group) for group in self.any_of]
        truths += [_not(s.evaluate(facts)) for s in self.none_of]
        return _kleene_and(truths)

    @property
    def has_components(self) -> bool:
        """Whether the shape has node-level constraints of its own."""
        return bool(self.all_of or self.any_of or self.none_of)

    def evaluate_value(self, value: Value) -> bool:
        """A value shape (as in ``sh:qualifiedValueShape``) tested on one value node."""
        if self.properties or self.any_of or self.none_of:
            raise DataFileError(f"{self.iri}: only sh:class is supported in a value shape")
        if not all(isinstance(value, frozenset) and c in value for c in self.value_classes):
            return False
        return all(s.evaluate_value(value) for s in self.all_of)

    def paths(self) -> set[str]:
        """Every predicate this shape reads."""
        out = {p.path for p in self.properties}
        for shape in (*self.all_of, *self.none_of, *(s for g in self.any_of for s in g)):
            out |= shape.paths()
        return out

    def thresholds(self) -> dict[str, set[float]]:
        """Numeric thresholds per predicate (the points where a truth value can change)."""
        out: dict[str, set[float]] = {}
        for prop in self.properties:
            for test in prop.tests:
                if test.kind.startswith(("min", "max")):
                    assert isinstance(test.argument, (int, float))
                    out.setdefault(prop.path, set()).add(float(test.argument))
        for shape in (*self.all_of, *self.none_of, *(s for g in self.any_of for s in g)):
            for path, points in shape.thresholds().items():
                out.setdefault(path, set()).update(points)
        return out


@dataclass(frozen=True)
class TripleRule:
    """A SHACL-AF triple rule ``(sh:this, predicate, object)`` under conditions."""

    order: float
    conditions: tuple[NodeShape, ...]
    predicate: str
    object: Value
    source_shape: str


@dataclass
class ShapeCompiler:
    """Compiles shapes from one shapes graph, caching each node shape once."""

    graph: Graph
    _cache: dict[str, NodeShape] = field(default_factory=dict)

    def node_shape(self, node: URIRef | BNode) -> NodeShape:
        key = str(node)
        if key not in self._cache:
            self._cache[key] = self._compile_node(node)
        return self._cache[key]

    def _compile_node(self, node: URIRef | BNode) -> NodeShape:
        graph = self.graph
        unknown = {
            p for p in graph.predicates(node) if p not in _NODE_KEYS and p not in _IGNORED_KEYS
        }
        if unknown:
            raise DataFileError(
                f"shape {node}: the fast engine does not support {sorted(map(str, unknown))}; "
                "use --engine reference or extend pedall.shacl.compiler"
            )
        properties = tuple(self._compile_property(p) for p in graph.objects(node, SH.property))
        all_of = tuple(
            self.node_shape(s) for lst in graph.objects(node, SH["and"]) for s in self._list(lst)
        )
        all_of += tuple(self.node_shape(s) for s in graph.objects(node, SH.node))  # type: ignore[arg-type]
        any_of = tuple(
            tuple(self.node_shape(s) for s in self._list(lst))
            for lst in graph.objects(node, SH["or"])
        )
        none_of = tuple(self.node_shape(s) for s in graph.objects(node, SH["not"]))  # type: ignore[arg-type]
        classes = tuple(str(c) for c in graph.objects(node, SH["class"]))
        reported = graph.value(node, REPORTED_PATH)
        return NodeShape(
            str(node),
            properties,
            all_of,
            any_of,
            none_of,
            classes,
            message=_text(graph.value(node, SH.message)),
            severity=_severity(graph.value(node, SH.severity)),
            reported_path=str(reported) if reported is not None else None,
            deactivated=_true(graph.value(node, SH.deactivated)),
        )

    def _list(self, head: object) -> list[URIRef | BNode]:
        assert isinstance(head, (URIRef, BNode))
        return [n for n in Collection(self.graph, head) if isinstance(n, (URIRef, BNode))]

    def _compile_property(self, node: object) -> PropertyShape:
        graph = self.graph
        assert isinstance(node, (URIRef, BNode))
        unknown = {p for p in graph.predicates(node) if p not in _PROPERTY_KEYS and p != RDF.type}
        if unknown:
            raise DataFileError(
                f"property shape {node}: the fast engine does not support "
                f"{sorted(map(str, unknown))}; use --engine reference"
            )
        path = graph.value(node, SH.path)
        if not isinstance(path, URIRef):
            raise DataFileError(f"property shape {node}: only simple predicate paths are supported")
        tests: list[ValueTest] = []
        for predicate in _NUMERIC_CONSTRAINTS:
            for value in graph.objects(node, predicate):
                tests.append(ValueTest(str(predicate).rsplit("#", 1)[1], to_native(value)))
        for lst in graph.objects(node, SH["in"]):
            allowed = tuple(to_native(v) for v in Collection(graph, lst))
            tests.append(ValueTest("in", allowed))
        for cls in graph.objects(node, SH["class"]):
            tests.append(ValueTest("class", str(cls)))
        for datatype in graph.objects(node, SH.datatype):
            tests.append(ValueTest("datatype", str(datatype)))
        qualified_node = graph.value(node, SH.qualifiedValueShape)
        return PropertyShape(
            node=str(node),
            path=str(path),
            min_count=_int(graph.value(node, SH.minCount)),
            max_count=_int(graph.value(node, SH.maxCount)),
            has_value=tuple(to_native(v) for v in graph.objects(node, SH.hasValue)),
            tests=tuple(tests),
            qualified=self.node_shape(qualified_node)
            if isinstance(qualified_node, (URIRef, BNode))
            else None,
            qualified_min=_int(graph.value(node, SH.qualifiedMinCount)),
            qualified_max=_int(graph.value(node, SH.qualifiedMaxCount)),
            message=_text(graph.value(node, SH.message)),
            severity=_severity(graph.value(node, SH.severity)),
            deactivated=_true(graph.value(node, SH.deactivated)),
        )

    def triple_rules(self, target_class: str) -> list[TripleRule]:
        """Every ``sh:TripleRule`` of the node shapes targeting ``target_class``, in order."""
        graph = self.graph
        rules = []
        for shape in graph.subjects(SH.targetClass, URIRef(target_class)):
            for rule in graph.objects(shape, SH.rule):
                if (rule, RDF.type, SH.TripleRule) not in graph:
                    raise DataFileError(
                        f"{shape}: only sh:TripleRule is supported by the fast engine"
                    )
                if graph.value(rule, SH.subject) != SH.this:
                    raise DataFileError(f"{shape}: a triple rule's subject must be sh:this")
                predicate = graph.value(rule, SH.predicate)
                obj = graph.value(rule, SH.object)
                if not isinstance(predicate, URIRef) or obj is None or isinstance(obj, BNode):
                    raise DataFileError(
                        f"{shape}: a triple rule needs a constant predicate and object"
                    )
                order = graph.value(rule, SH.order)
                conditions = tuple(
                    self.node_shape(c)  # type: ignore[arg-type]
                    for c in graph.objects(rule, SH.condition)
                )
                rules.append(
                    TripleRule(
                        order=float(order.toPython()) if isinstance(order, Literal) else 0.0,
                        conditions=conditions,
                        predicate=str(predicate),
                        object=to_native(obj),
                        source_shape=str(shape),
                    )
                )
        rules.sort(key=lambda r: (r.order, r.source_shape, r.predicate, str(r.object)))
        return rules


def _int(term: object) -> int | None:
    return int(term.toPython()) if isinstance(term, Literal) else None


def _text(term: object) -> str | None:
    return str(term) if term is not None else None


def _severity(term: object) -> str:
    """``Violation``, ``Warning`` or ``Info`` (the local name of the sh:severity IRI)."""
    return str(term).rsplit("#", 1)[-1] if term is not None else "Violation"


def _true(term: object) -> bool:
    return isinstance(term, Literal) and term.toPython() is True


def apply_rules(
    rules: list[TripleRule],
    facts: Mapping[str, PathValues],
    condition_truth: Callable[[int, Facts], Truth] | None = None,
) -> dict[str, PathValues]:
    """Facts plus what the rules derive, in rule order; undecided conditions give 'maybe'.

    ``condition_truth(index, facts)``, when given, stands in for evaluating the conditions
    of ``rules[index]`` (``RuleRunner`` passes its memo)."""
    derived = dict(facts)
    for index, rule in enumerate(rules):
        if condition_truth is not None:
            truth = condition_truth(index, derived)
        else:
            truth = _kleene_and(c.evaluate(derived) for c in rule.conditions)
        if truth is False:
            continue
        added = _derive(derived.get(rule.predicate, EMPTY), rule.object, truth)
        if added is not None:
            derived[rule.predicate] = added
    return derived


def _derive(known: PathValues, value: Value, truth: Truth) -> PathValues | None:
    """The predicate's facts once a rule whose condition is ``truth`` (True or None) adds
    ``value``; None when they do not change."""
    if any(same_value(v, value) for v in known.values):
        return None
    if truth is True:
        maybe = tuple(v for v in known.maybe if not same_value(v, value))
        return PathValues((*known.values, value), maybe, known.open)
    if any(same_value(v, value) for v in known.maybe):
        return None
    return PathValues(known.values, (*known.maybe, value), known.open)


def rule_dependencies(rules: list[TripleRule]) -> dict[str, set[str]]:
    """For each derived predicate, the input predicates it is computed from (transitively)."""
    direct: dict[str, set[str]] = {}
    for rule in rules:
        for condition in rule.conditions:
            direct.setdefault(rule.predicate, set()).update(condition.paths())
    resolved: dict[str, set[str]] = {}
    for predicate in direct:
        seen: set[str] = set()
        stack = [predicate]
        while stack:
            current = stack.pop()
            for dep in direct.get(current, set()):
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        resolved[predicate] = seen
    return resolved


_UNKNOWN = object()


@dataclass
class RuleRunner:
    """Applies the rules like ``apply_rules``, remembering each rule's condition truth by
    the facts its conditions read (a condition reads only its own paths, so equal facts
    there give the same truth), and what each rule adds to the facts it finds. With values
    reduced to one per threshold region, both memos stay as small as the regions the
    shapes cut, whatever the size of the cohort."""

    rules: list[TripleRule]
    limit: int = 200_000
    _reads: list[tuple[str, ...]] = field(init=False)
    _truths: dict[tuple[object, ...], Truth] = field(init=False, default_factory=dict)
    _added: dict[tuple[int, Truth, object], PathValues | None] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._reads = [
            tuple(sorted({p for c in rule.conditions for p in c.paths()})) for rule in self.rules
        ]

    def apply(self, facts: Facts) -> dict[str, PathValues]:
        """Facts plus what the rules derive (the same as ``apply_rules``)."""
        if len(self._truths) >= self.limit or len(self._added) >= self.limit:
            self._truths.clear()  # raw, unreduced values: keep memory bounded
            self._added.clear()
        derived = dict(facts)
        truths, added, get = self._truths, self._added, derived.get
        for index, reads in enumerate(self._reads):
            key = (index, *[None if (k := get(p)) is None else k.fingerprint for p in reads])
            cached = truths.get(key, _UNKNOWN)
            if cached is _UNKNOWN:
                rule = self.rules[index]
                truth = truths[key] = _kleene_and(c.evaluate(derived) for c in rule.conditions)
            else:
                truth = cast(Truth, cached)
            if truth is False:
                continue
            predicate = self.rules[index].predicate
            known = derived.get(predicate, EMPTY)
            step = (index, truth, known.fingerprint)
            found = added.get(step, _UNKNOWN)
            if found is _UNKNOWN:
                result = added[step] = _derive(known, self.rules[index].object, truth)
            else:
                result = cast(PathValues | None, found)
            if result is not None:
                derived[predicate] = result
        return derived
