"""The compiled shapes: value tests, property shapes, node shapes and SHACL-AF triple
rules, evaluated in two-valued SHACL semantics or in Kleene logic where a field is not
known yet."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import SH

from pedall.errors import DataFileError
from pedall.shacl.values import (
    EMPTY,
    Facts,
    PathValues,
    Truth,
    Value,
    kleene_and,
    kleene_not,
    kleene_or,
    same_value,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_CONSTRAINTS = {
    SH.minInclusive: lambda v, t: v >= t,
    SH.minExclusive: lambda v, t: v > t,
    SH.maxInclusive: lambda v, t: v <= t,
    SH.maxExclusive: lambda v, t: v < t,
}


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
            return bool(NUMERIC_CONSTRAINTS[SH[self.kind]](value, threshold))
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
        return kleene_and(truths)

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
        return kleene_and(truths)


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
        return kleene_and(truths)

    def evaluate_components(self, facts: Facts) -> Truth:
        """The node-level constraints alone (sh:and, sh:node, sh:or, sh:not), without the
        property shapes: what a SHACL engine reports with this shape as the source shape."""
        truths: list[Truth] = [s.evaluate(facts) for s in self.all_of]
        truths += [kleene_or(s.evaluate(facts) for s in group) for group in self.any_of]
        truths += [kleene_not(s.evaluate(facts)) for s in self.none_of]
        return kleene_and(truths)

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

    def classes(self) -> set[str]:
        """Every class this shape tests a value for (``sh:class`` of a property shape, of a
        value shape, in its parts too): all it can tell of a value that is a type closure."""
        out = set(self.value_classes)
        for prop in self.properties:
            out |= {str(test.argument) for test in prop.tests if test.kind == "class"}
            if prop.qualified is not None:
                out |= prop.qualified.classes()
        for shape in (*self.all_of, *self.none_of, *(s for g in self.any_of for s in g)):
            out |= shape.classes()
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
