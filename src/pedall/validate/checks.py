"""The reporting shapes of the patient data-quality shapes, compiled to checks: where each
check's issues go, what they say, and what the check reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pedall.errors import DataFileError
from pedall.namespaces import PEDALL
from pedall.shacl.compiler import CompiledShapes
from pedall.shacl.shapes import NodeShape, PropertyShape
from pedall.shacl.values import Facts, Truth

BOUNDED_TESTS = frozenset(
    ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive", "datatype")
)


def severity_of(shacl_severity: str) -> str:
    """``error`` for ``sh:Violation``, ``warning`` for ``sh:Warning`` and ``sh:Info``."""
    return "error" if shacl_severity.rsplit("#", 1)[-1] == "Violation" else "warning"


@dataclass(frozen=True)
class QualityCheck:
    """One reporting shape, compiled: where its issues go and what they say."""

    shape: str
    path: str | None
    message: str
    severity: str  # 'error' or 'warning'
    holds: Callable[[Facts], Truth]
    reads: tuple[str, ...] = ()  # the paths ``holds`` reads; its truth depends on no other
    # When the check tests only counts, datatypes and numeric bounds (a property shape, or
    # a node shape built of such shapes alone): the bounds. Its truth on one value then
    # depends on the value's type and region only; None: on the value itself.
    cuts: tuple[float, ...] | None = None


def compile_checks(shapes: CompiledShapes) -> tuple[QualityCheck, ...]:
    """The reporting shapes of the node shapes targeting ``pedall:Patient``, compiled."""
    checks: list[QualityCheck] = []
    for shape in shapes.node_shapes_targeting(str(PEDALL.Patient)):
        if shape.deactivated:
            continue
        if shape.value_classes:
            raise DataFileError(f"{shape.iri}: sh:class on a patient shape is not supported")
        for prop in shape.properties:
            if not prop.deactivated:
                checks.append(_property_check(prop))
        if shape.has_components:
            checks.append(_node_check(shape))
    return tuple(checks)


def _property_check(prop: PropertyShape) -> QualityCheck:
    if prop.message is None:
        raise DataFileError(f"data-quality shape {prop.node} has no sh:message")
    return QualityCheck(
        prop.node,
        prop.path,
        prop.message,
        severity_of(prop.severity),
        prop.evaluate,
        (prop.path,),
        _bounds_only(prop),
    )


def _bounds_only(prop: PropertyShape) -> tuple[float, ...] | None:
    """The numeric bounds of a property shape that tests nothing but counts, datatypes and
    bounds; None otherwise."""
    if prop.has_value or prop.qualified is not None:
        return None
    if any(test.kind not in BOUNDED_TESTS for test in prop.tests):
        return None
    bounds = {test.argument for test in prop.tests if test.kind != "datatype"}
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
        return None
    return tuple(sorted(float(b) for b in bounds))  # type: ignore[arg-type]


def _node_bounds_only(shape: NodeShape) -> tuple[float, ...] | None:
    """The numeric bounds of a node shape whose every part (property shapes, and the node
    shapes of its sh:and, sh:or and sh:not) tests nothing but counts, datatypes and
    bounds; None otherwise."""
    if shape.value_classes:
        return None
    parts = [_bounds_only(prop) for prop in shape.properties]
    nested = (*shape.all_of, *shape.none_of, *(s for group in shape.any_of for s in group))
    parts += [_node_bounds_only(inner) for inner in nested]
    if any(part is None for part in parts):
        return None
    return tuple(sorted({bound for part in parts for bound in part or ()}))


def _node_check(shape: NodeShape) -> QualityCheck:
    if shape.message is None:
        raise DataFileError(f"data-quality shape {shape.iri} has no sh:message")
    return QualityCheck(
        shape.iri,
        shape.reported_path,
        shape.message,
        severity_of(shape.severity),
        shape.evaluate_components,
        tuple(sorted(shape.paths())),
        _node_bounds_only(shape),
    )
