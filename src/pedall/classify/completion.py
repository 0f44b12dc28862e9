"""Missing data: the values a missing field could take, as few as decide every rule.

A field's domain is cut by the thresholds that the shapes apply to it (read from the
compiled shapes); one representative value per region is enough, because no shape can
tell two values of one region apart. The same domains serve both engines: the reference
engine enumerates every completion, the fast engine searches them with pruning.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from rdflib import URIRef

from pedall.namespaces import PEDALL
from pedall.patients.lesion_bounds import within
from pedall.patients.model import (
    LESIONS_COLUMN,
    LESIONS_PENDING_COLUMN,
    FieldKind,
    PatientField,
    PatientModel,
)
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord
from pedall.shacl.rules import rule_dependencies
from pedall.shacl.shapes import NodeShape, TripleRule

# When a record's lesions are unknown, ``pedall:hasLesion`` is a missing field too: its
# values are the sets of lesion classes (among those the shapes test) that may be present.
HAS_LESION = str(PEDALL.hasLesion)


@dataclass(frozen=True)
class FieldDomain:
    """The representative values of one field, and the thresholds that cut it."""

    field: PatientField
    values: tuple[CellValue, ...]
    thresholds: tuple[float, ...]

    def region(self, value: CellValue) -> object:
        """Values in the same region are indistinguishable to every shape."""
        cuts = self.thresholds
        if not cuts or isinstance(value, (bool, URIRef)):
            return value
        assert isinstance(value, (int, float))
        index = bisect_left(cuts, value)
        return 2 * index + (index < len(cuts) and cuts[index] == value)

    @cached_property
    def _representative_by_region(self) -> dict[object, CellValue]:
        return {self.region(v): v for v in self.values}

    def representative(self, value: CellValue) -> CellValue:
        """The domain's value in the region of ``value`` (no shape tells them apart), or
        ``value`` itself when the domain has none there."""
        if not self.thresholds:
            return value
        found = self._representative_by_region.get(self.region(value), value)
        return found if type(found) is type(value) else value


def representatives(
    kind: FieldKind, points: list[float], codes: Mapping[str, str]
) -> list[CellValue]:
    """One value per region cut by ``points`` (and the points themselves)."""
    if kind is FieldKind.BOOLEAN:
        return [True, False]
    if kind is FieldKind.CODED:
        return [URIRef(iri) for iri in codes.values()]
    if not points:
        return [1]
    if kind is FieldKind.INTEGER:
        candidates: list[CellValue] = [math.ceil(points[0]) - 1]
        for low, high in itertools.pairwise(points):
            if float(low).is_integer():
                candidates.append(int(low))
            between = math.floor(low) + 1
            if between < high:
                candidates.append(between)
        if float(points[-1]).is_integer():
            candidates.append(int(points[-1]))
        candidates.append(math.floor(points[-1]) + 1)
        return list(dict.fromkeys(candidates))
    below = points[0] / 2 if points[0] > 0 else points[0] - 1
    numbers: list[CellValue] = [below]
    for low, high in itertools.pairwise(points):
        numbers += [low, (low + high) / 2]
    numbers += [points[-1], points[-1] + 1]
    return numbers


def field_domains(
    model: PatientModel, rules: list[TripleRule], shapes: list[NodeShape]
) -> dict[str, FieldDomain]:
    """The domain of every patient field that some rule condition (or shape) reads."""
    read: set[str] = set()
    thresholds: dict[str, set[float]] = {}
    for shape in [c for r in rules for c in r.conditions] + shapes:
        read |= shape.paths()
        for path, points in shape.thresholds().items():
            thresholds.setdefault(path, set()).update(points)
    for deps in rule_dependencies(rules).values():
        read |= deps
    # The lesions' bounds cut the values too, so that a bounded field's regions fall
    # wholly inside or outside its bounds.
    for prop, points in model.lesions.cuts().items():
        if prop in read:
            thresholds.setdefault(prop, set()).update(points)
    domains = {}
    for spec in model.fields:
        if spec.property in read:
            cuts = sorted(thresholds.get(spec.property, set()))
            values = representatives(spec.kind, cuts, spec.codes)
            domains[spec.property] = FieldDomain(spec, tuple(values), tuple(cuts))
    tested = sorted({c for shape in shapes for c in tested_lesions(shape)})
    if HAS_LESION in read and tested:
        spec = PatientField(LESIONS_COLUMN, HAS_LESION, FieldKind.CODED, {})
        subsets = [
            frozenset(chosen)
            for size in range(len(tested) + 1)
            for chosen in itertools.combinations(tested, size)
        ]
        domains[HAS_LESION] = FieldDomain(spec, tuple(subsets), ())
    return domains


def tested_lesions(shape: NodeShape) -> set[str]:
    """The lesion classes a shape tests ``pedall:hasLesion`` for (``sh:class`` of a
    qualified value shape), in its parts too."""
    out: set[str] = set()
    for prop in shape.properties:
        if prop.path == HAS_LESION and prop.qualified is not None:
            out |= set(prop.qualified.value_classes)
    for part in (*shape.all_of, *shape.none_of, *(s for g in shape.any_of for s in g)):
        out |= tested_lesions(part)
    return out


@dataclass(frozen=True)
class OpenField:
    """A field one record does not know, the column that would give it, and the values it
    may take for that record (its domain, within the bounds of the record's lesions; for
    its lesions, the sets of pending lesions that may be present)."""

    prop: str
    column: str
    values: tuple[CellValue, ...]


PendingCache = dict[frozenset[str], tuple[CellValue, ...]]


def open_fields(
    record: PatientRecord,
    domains: Mapping[str, FieldDomain],
    model: PatientModel,
    cache: PendingCache | None = None,
) -> dict[str, OpenField]:
    """The fields the rules read that the record does not know, in column order
    (``cache`` keeps the lesion sets of each pending set, for one model and its domains)."""
    bounds = model.lesions.bounds_of(record.lesions)
    out: dict[str, OpenField] = {}
    for prop, domain in domains.items():
        if prop == HAS_LESION:
            pending = record.pending_classes
            subsets = cache.get(pending) if cache is not None else None
            if subsets is None:
                subsets = pending_subsets(pending, domain, model)
                if cache is not None and len(cache) < 4096:
                    cache[pending] = subsets
            if len(subsets) > 1:
                column = LESIONS_COLUMN if not record.lesions_known else LESIONS_PENDING_COLUMN
                out[prop] = OpenField(prop, column, subsets)
            continue
        if prop in record.values:
            continue
        values = domain.values
        if prop in bounds:
            inside = tuple(
                v for v in values if isinstance(v, (int, float)) and within(v, bounds[prop])
            )
            values = inside or values  # lesions that contradict each other are the readers' error
        out[prop] = OpenField(prop, domain.field.column, values)
    return out


def pending_subsets(
    pending: frozenset[str], domain: FieldDomain, model: PatientModel
) -> tuple[CellValue, ...]:
    """The sets of lesion classes that may be present besides those recorded: subsets of the
    tested classes within a pending class (a pending KMT2A rearrangement may be KMT2A::AFF1)
    and of the pending classes that are within a tested one (a pending KMT2A::AFF1 is a
    KMT2A rearrangement if found)."""
    if not pending:
        return (frozenset(),)
    tested = sorted(set().union(*(v for v in domain.values if isinstance(v, frozenset))))
    vocabulary = model.lesions
    candidates = [t for t in tested if vocabulary.closure((t,)) & pending]
    candidates += sorted(
        p for p in pending if p not in tested and vocabulary.closure((p,)) & set(tested)
    )
    return tuple(
        frozenset(chosen)
        for size in range(len(candidates) + 1)
        for chosen in itertools.combinations(candidates, size)
    )


def completions(
    record: PatientRecord, missing: Mapping[str, OpenField]
) -> Iterator[dict[str, CellValue]]:
    """Every completion of the record's missing fields (its ``open_fields``; the record's
    own values included)."""
    for combination in itertools.product(*(f.values for f in missing.values())):
        values = dict(record.values)
        values.update(zip(missing, combination, strict=True))
        yield values
