"""Compiled shapes as JSON and back, for the compiled-shapes cache (never pickle).

A ``ShapeTable`` is what one shape group compiled to, as the engines asked for it: node
shapes by IRI, the triple rules of a target class, the node shapes targeting a class.
In the JSON every node shape is written once, in a list where each shape comes after the
shapes it refers to (``sh:and``, ``sh:or``, ``sh:not``, ``sh:node``, qualified value
shapes), and is referred to by its place in it, so a shape two rules share is one object
again when read. Values keep their kind: an IRI is ``{"iri": ...}``, a lesion's class set
``{"classes": [...]}``, booleans, integers, decimals and strings are JSON's own (a
decimal is written with its point, so 30.0 comes back a float and 30 an integer).

``loads`` accepts only what ``dumps`` writes: anything else raises ``ValueError`` (or the
``KeyError`` or ``TypeError`` of a missing or wrong part), and the cache then compiles
the shapes again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from pedall.shacl.shapes import NodeShape, PropertyShape, TripleRule, ValueTest
from pedall.shacl.values import Value

Json = Any  # what json.loads returns


@dataclass
class ShapeTable:
    """What a shape group compiled to, by what was asked of it."""

    node_shapes: dict[str, NodeShape] = field(default_factory=dict)  # by IRI
    triple_rules: dict[str, tuple[TripleRule, ...]] = field(default_factory=dict)  # by class
    targeting: dict[str, tuple[NodeShape, ...]] = field(default_factory=dict)  # by class


def dumps(table: ShapeTable) -> str:
    """``table`` as JSON text (keys sorted, so the same table is the same text)."""
    writer = _Writer()
    document = {
        "node_shapes": {iri: writer.node(s) for iri, s in table.node_shapes.items()},
        "triple_rules": {
            target: [writer.rule(r) for r in rules] for target, rules in table.triple_rules.items()
        },
        "targeting": {
            target: [writer.node(s) for s in shapes] for target, shapes in table.targeting.items()
        },
    }
    document["shapes"] = writer.shapes
    return json.dumps(document, sort_keys=True, ensure_ascii=False, allow_nan=False)


def loads(text: str) -> ShapeTable:
    """The table ``dumps`` wrote as ``text``."""
    document = json.loads(text)
    reader = _Reader()
    for written in _listed(document["shapes"]):
        reader.shapes.append(reader.node(written))
    return ShapeTable(
        {_text(iri): reader.shape(i) for iri, i in _mapped(document["node_shapes"])},
        {
            _text(target): tuple(reader.rule(r) for r in _listed(rules))
            for target, rules in _mapped(document["triple_rules"])
        },
        {
            _text(target): tuple(reader.shape(i) for i in _listed(shapes))
            for target, shapes in _mapped(document["targeting"])
        },
    )


class _Writer:
    def __init__(self) -> None:
        self.shapes: list[Json] = []
        self._places: dict[int, int] = {}  # id of a written shape (the table holds it)

    def node(self, shape: NodeShape) -> int:
        place = self._places.get(id(shape))
        if place is not None:
            return place
        written = {
            "iri": shape.iri,
            "properties": [self._property(p) for p in shape.properties],
            "all_of": [self.node(s) for s in shape.all_of],
            "any_of": [[self.node(s) for s in group] for group in shape.any_of],
            "none_of": [self.node(s) for s in shape.none_of],
            "value_classes": list(shape.value_classes),
            "message": shape.message,
            "severity": shape.severity,
            "reported_path": shape.reported_path,
            "deactivated": shape.deactivated,
        }
        self.shapes.append(written)
        self._places[id(shape)] = len(self.shapes) - 1
        return len(self.shapes) - 1

    def _property(self, prop: PropertyShape) -> Json:
        return {
            "node": prop.node,
            "path": prop.path,
            "min_count": prop.min_count,
            "max_count": prop.max_count,
            "has_value": [_value(v) for v in prop.has_value],
            "tests": [_test(t) for t in prop.tests],
            "qualified": None if prop.qualified is None else self.node(prop.qualified),
            "qualified_min": prop.qualified_min,
            "qualified_max": prop.qualified_max,
            "message": prop.message,
            "severity": prop.severity,
            "deactivated": prop.deactivated,
        }

    def rule(self, rule: TripleRule) -> Json:
        return {
            "order": rule.order,
            "conditions": [self.node(c) for c in rule.conditions],
            "predicate": rule.predicate,
            "object": _value(rule.object),
            "source_shape": rule.source_shape,
        }


def _value(value: Value) -> Json:
    if isinstance(value, URIRef):
        return {"iri": str(value)}
    if isinstance(value, frozenset):
        return {"classes": sorted(value)}
    return value


def _test(test: ValueTest) -> Json:
    argument = test.argument
    if isinstance(argument, tuple):  # sh:in
        return {"kind": test.kind, "values": [_value(v) for v in argument]}
    assert isinstance(argument, (URIRef, bool, int, float, str, frozenset))
    return {"kind": test.kind, "argument": _value(argument)}


class _Reader:
    def __init__(self) -> None:
        self.shapes: list[NodeShape] = []

    def shape(self, place: Json) -> NodeShape:
        if type(place) is not int or not 0 <= place < len(self.shapes):
            raise ValueError(f"not a shape written before: {place!r}")
        return self.shapes[place]

    def node(self, written: Json) -> NodeShape:
        return NodeShape(
            _text(written["iri"]),
            tuple(self._property(p) for p in _listed(written["properties"])),
            tuple(self.shape(i) for i in _listed(written["all_of"])),
            tuple(
                tuple(self.shape(i) for i in _listed(group)) for group in _listed(written["any_of"])
            ),
            tuple(self.shape(i) for i in _listed(written["none_of"])),
            tuple(_text(c) for c in _listed(written["value_classes"])),
            message=_optional_text(written["message"]),
            severity=_text(written["severity"]),
            reported_path=_optional_text(written["reported_path"]),
            deactivated=_flag(written["deactivated"]),
        )

    def _property(self, written: Json) -> PropertyShape:
        qualified = written["qualified"]
        return PropertyShape(
            node=_text(written["node"]),
            path=_text(written["path"]),
            min_count=_count(written["min_count"]),
            max_count=_count(written["max_count"]),
            has_value=tuple(_read_value(v) for v in _listed(written["has_value"])),
            tests=tuple(_read_test(t) for t in _listed(written["tests"])),
            qualified=None if qualified is None else self.shape(qualified),
            qualified_min=_count(written["qualified_min"]),
            qualified_max=_count(written["qualified_max"]),
            message=_optional_text(written["message"]),
            severity=_text(written["severity"]),
            deactivated=_flag(written["deactivated"]),
        )

    def rule(self, written: Json) -> TripleRule:
        order = written["order"]
        if type(order) not in (int, float):
            raise ValueError(f"not a rule order: {order!r}")
        return TripleRule(
            order=float(order),
            conditions=tuple(self.shape(i) for i in _listed(written["conditions"])),
            predicate=_text(written["predicate"]),
            object=_read_value(written["object"]),
            source_shape=_text(written["source_shape"]),
        )


def _read_value(written: Json) -> Value:
    if type(written) in (bool, int, float, str):
        return written  # type: ignore[no-any-return]
    if isinstance(written, dict) and set(written) == {"iri"}:
        return URIRef(_text(written["iri"]))
    if isinstance(written, dict) and set(written) == {"classes"}:
        return frozenset(_text(c) for c in _listed(written["classes"]))
    raise ValueError(f"not a value: {written!r}")


def _read_test(written: Json) -> ValueTest:
    if isinstance(written, dict) and set(written) == {"kind", "values"}:
        allowed = tuple(_read_value(v) for v in _listed(written["values"]))
        return ValueTest(_text(written["kind"]), allowed)
    if isinstance(written, dict) and set(written) == {"kind", "argument"}:
        return ValueTest(_text(written["kind"]), _read_value(written["argument"]))
    raise ValueError(f"not a value test: {written!r}")


def _listed(written: Json) -> list[Json]:
    if not isinstance(written, list):
        raise ValueError(f"not a list: {written!r}")
    return written


def _mapped(written: Json) -> list[tuple[Json, Json]]:
    if not isinstance(written, dict):
        raise ValueError(f"not an object: {written!r}")
    return list(written.items())


def _text(written: Json) -> str:
    if not isinstance(written, str):
        raise ValueError(f"not a string: {written!r}")
    return written


def _optional_text(written: Json) -> str | None:
    return None if written is None else _text(written)


def _count(written: Json) -> int | None:
    if written is not None and type(written) is not int:
        raise ValueError(f"not a count: {written!r}")
    return written


def _flag(written: Json) -> bool:
    if type(written) is not bool:
        raise ValueError(f"not a boolean: {written!r}")
    return written
