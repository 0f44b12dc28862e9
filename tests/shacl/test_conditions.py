"""The SHACL-subset compiler: two- and three-valued evaluation of compiled shapes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rdflib import Graph, URIRef

from pedall.errors import DataFileError
from pedall.shacl.compiler import ShapeCompiler
from pedall.shacl.rules import RuleRunner
from pedall.shacl.values import EMPTY, PathValues

EX = "http://example.org/"
HEADER = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""


@pytest.fixture
def compile_shapes(make_graph: Callable[[str], Graph]) -> Callable[[str], ShapeCompiler]:
    def make(body: str) -> ShapeCompiler:
        return ShapeCompiler(make_graph(HEADER + body))

    return make


def facts(**values: PathValues) -> dict[str, PathValues]:
    return {EX + name: v for name, v in values.items()}


RANGE = """ex:S a sh:NodeShape ; sh:property [ sh:path ex:age ; sh:minCount 1 ;
    sh:minInclusive 10 ; sh:maxExclusive 15 ] ."""


@pytest.mark.parametrize(
    ("age", "expected"),
    [(9.99, False), (10, True), (14.99, True), (15, False)],
)
def test_numeric_range_is_inclusive_below_and_exclusive_above(
    compile_shapes: Callable[[str], ShapeCompiler], age: float, expected: bool
) -> None:
    shape = compile_shapes(RANGE).node_shape(URIRef(EX + "S"))
    assert shape.evaluate(facts(age=PathValues((age,)))) is expected


def test_missing_value_fails_min_count_but_open_value_is_unknown(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    shape = compile_shapes(RANGE).node_shape(URIRef(EX + "S"))
    assert shape.evaluate(facts(age=EMPTY)) is False
    assert shape.evaluate(facts(age=PathValues(open=True))) is None


def test_kleene_or_is_true_when_one_branch_is_true_even_if_another_is_unknown(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    compiler = compile_shapes(
        """ex:S a sh:NodeShape ; sh:or (
            [ sh:property [ sh:path ex:a ; sh:hasValue true ] ]
            [ sh:property [ sh:path ex:b ; sh:hasValue true ] ] ) ."""
    )
    shape = compiler.node_shape(URIRef(EX + "S"))
    assert shape.evaluate(facts(a=PathValues(open=True), b=PathValues((True,)))) is True
    assert shape.evaluate(facts(a=PathValues(open=True), b=PathValues((False,)))) is None
    assert shape.evaluate(facts(a=PathValues((False,)), b=PathValues((False,)))) is False


def test_not_inverts_and_keeps_unknown(compile_shapes: Callable[[str], ShapeCompiler]) -> None:
    compiler = compile_shapes(
        """ex:In a sh:NodeShape ; sh:property [ sh:path ex:a ; sh:hasValue ex:x ] .
        ex:Out a sh:NodeShape ; sh:not ex:In ."""
    )
    shape = compiler.node_shape(URIRef(EX + "Out"))
    assert shape.evaluate(facts(a=PathValues((URIRef(EX + "y"),)))) is True
    assert shape.evaluate(facts(a=PathValues((URIRef(EX + "x"),)))) is False
    assert shape.evaluate(facts(a=PathValues(open=True))) is None


def test_boolean_is_not_the_number_one(compile_shapes: Callable[[str], ShapeCompiler]) -> None:
    compiler = compile_shapes(
        "ex:S a sh:NodeShape ; sh:property [ sh:path ex:a ; sh:hasValue true ] ."
    )
    assert compiler.node_shape(URIRef(EX + "S")).evaluate(facts(a=PathValues((1,)))) is False


def test_qualified_class_counts_values_whose_type_closure_has_the_class(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    compiler = compile_shapes(
        """ex:S a sh:NodeShape ; sh:property [ sh:path ex:lesion ;
            sh:qualifiedValueShape [ sh:class ex:Parent ] ; sh:qualifiedMinCount 1 ] ."""
    )
    shape = compiler.node_shape(URIRef(EX + "S"))
    child = frozenset({EX + "Child", EX + "Parent"})
    assert shape.evaluate(facts(lesion=PathValues((child,)))) is True
    assert shape.evaluate(facts(lesion=PathValues((frozenset({EX + "Other"}),)))) is False


def test_rules_derive_in_order_and_undecided_conditions_give_maybe(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    compiler = compile_shapes(
        """ex:High a sh:NodeShape ;
            sh:property [ sh:path ex:n ; sh:minCount 1 ; sh:minInclusive 5 ] .
        ex:HasFlag a sh:NodeShape ; sh:property [ sh:path ex:flag ; sh:hasValue ex:F ] .
        ex:Rules a sh:NodeShape ; sh:targetClass ex:P ; sh:rule
          [ a sh:TripleRule ; sh:order 1 ; sh:condition ex:HasFlag ; sh:subject sh:this ;
            sh:predicate ex:meets ; sh:object ex:C ] ,
          [ a sh:TripleRule ; sh:order 0 ; sh:condition ex:High ; sh:subject sh:this ;
            sh:predicate ex:flag ; sh:object ex:F ] ."""
    )
    rules = compiler.triple_rules(EX + "P")
    assert [r.order for r in rules] == [0.0, 1.0]
    runner = RuleRunner(rules)
    for _ in range(2):  # the second time from what the runner remembers: the same facts
        derived = runner.apply(facts(n=PathValues((7,))))
        assert derived[EX + "meets"].values == (URIRef(EX + "C"),)
        unknown = runner.apply(facts(n=PathValues(open=True)))
        assert unknown[EX + "meets"].maybe == (URIRef(EX + "C"),)
        assert runner.apply(facts(n=PathValues((4,)))).get(EX + "meets") is None


def test_an_unsupported_construct_is_named_not_misread(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    compiler = compile_shapes(
        'ex:S a sh:NodeShape ; sh:property [ sh:path ex:a ; sh:pattern "^x" ] .'
    )
    with pytest.raises(DataFileError, match="pattern"):
        compiler.node_shape(URIRef(EX + "S"))


def test_rules_add_in_rule_order_within_and_across_segments(
    compile_shapes: Callable[[str], ShapeCompiler],
) -> None:
    """Rules that read the same paths are evaluated together, and a rule that reads what
    an earlier rule wrote sees it: a value added as 'maybe' and then for certain is
    certain; a later rule reads the flag an earlier one derived."""
    compiler = compile_shapes(
        """ex:Big a sh:NodeShape ; sh:property [ sh:path ex:n ; sh:minCount 1 ;
            sh:minInclusive 5 ] .
        ex:Some a sh:NodeShape ; sh:property [ sh:path ex:n ; sh:minCount 1 ] .
        ex:Flagged a sh:NodeShape ; sh:property [ sh:path ex:flag ; sh:hasValue ex:F ] .
        ex:Rules a sh:NodeShape ; sh:targetClass ex:P ; sh:rule
          [ a sh:TripleRule ; sh:order 0 ; sh:condition ex:Big ; sh:subject sh:this ;
            sh:predicate ex:meets ; sh:object ex:A ] ,
          [ a sh:TripleRule ; sh:order 1 ; sh:condition ex:Some ; sh:subject sh:this ;
            sh:predicate ex:meets ; sh:object ex:A ] ,
          [ a sh:TripleRule ; sh:order 2 ; sh:condition ex:Big ; sh:subject sh:this ;
            sh:predicate ex:flag ; sh:object ex:F ] ,
          [ a sh:TripleRule ; sh:order 3 ; sh:condition ex:Flagged ; sh:subject sh:this ;
            sh:predicate ex:meets ; sh:object ex:B ] ."""
    )
    runner = RuleRunner(compiler.triple_rules(EX + "P"))
    a, b = URIRef(EX + "A"), URIRef(EX + "B")
    for _ in range(2):  # the second time from what the runner remembers
        big = runner.apply(facts(n=PathValues((7,))))
        assert (big[EX + "meets"].values, big[EX + "meets"].maybe) == ((a, b), ())
        small = runner.apply(facts(n=PathValues((1,))))
        assert (small[EX + "meets"].values, small[EX + "meets"].maybe) == ((a,), ())
        unknown = runner.apply(facts(n=PathValues(open=True)))
        assert (unknown[EX + "meets"].values, unknown[EX + "meets"].maybe) == ((), (a, b))
        assert unknown[EX + "flag"].maybe == (URIRef(EX + "F"),)
