"""What would decide a provisional result: for each missing column, the ranges (or codes)
of its answer and the groups still possible under each, the other missing fields open.

The ranges are the regions the shapes' own thresholds cut (the field domains of
``pedall.classify.completion``), with neighbours that leave the same groups merged, so
nothing clinical is written here: each bound in the words is a threshold of the shapes, in
the unit the ontology gives the field (``pedall:unitLabel``). Both engines hand this module
the groups each value of each open field leaves (``Narrowing``) and get the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rdflib import URIRef

from pedall.classify.completion import HAS_LESION, FieldDomain, OpenField
from pedall.classify.result import Deciding, DecidingOutcome
from pedall.patients.model import FieldKind, PatientModel
from pedall.patients.readers.cells import CellValue

# For each open field, each of its values with the groups possible when it takes it.
Narrowing = Mapping[str, Sequence[tuple[CellValue, frozenset[str]]]]


def missing_and_deciding(
    open_fields: Mapping[str, OpenField],
    narrowing: Narrowing,
    possible: frozenset[str],
    domains: Mapping[str, FieldDomain],
    model: PatientModel,
    order: Sequence[str],
) -> tuple[tuple[str, ...], tuple[Deciding, ...]]:
    """The columns that matter (in column order) and what each answer would leave
    (the column that narrows most first); ``order`` ranks the group codes."""
    missing: list[str] = []
    deciding: list[Deciding] = []
    for prop, field in open_fields.items():
        per_value = narrowing.get(prop, ())
        if not any(groups != possible for _, groups in per_value):
            continue
        missing.append(field.column)
        if prop == HAS_LESION:
            outcomes = _lesion_outcomes(per_value, model, order)
        elif domains[prop].field.kind in (FieldKind.NUMBER, FieldKind.INTEGER):
            outcomes = _range_outcomes(per_value, domains[prop], order)
        else:
            outcomes = _code_outcomes(per_value, domains[prop], order)
        deciding.append(Deciding(field.column, tuple(outcomes)))
    rank = {column: i for i, column in enumerate(missing)}
    deciding.sort(
        key=lambda d: (
            max(len(o.possible_groups) for o in d.outcomes),
            sum(len(o.possible_groups) for o in d.outcomes) / len(d.outcomes),
            rank[d.column],
        )
    )
    return tuple(missing), tuple(deciding)


def _ordered(groups: frozenset[str], order: Sequence[str]) -> tuple[str, ...]:
    return tuple(code for code in order if code in groups)


def _range_outcomes(
    per_value: Sequence[tuple[CellValue, frozenset[str]]],
    domain: FieldDomain,
    order: Sequence[str],
) -> list[DecidingOutcome]:
    """One outcome per run of neighbouring regions that leave the same groups."""
    cuts = domain.thresholds
    regions = sorted(
        ((domain.region(value), groups) for value, groups in per_value),
        key=lambda item: item[0],  # type: ignore[arg-type, return-value]
    )
    runs: list[tuple[int, int, frozenset[str]]] = []
    for region, groups in regions:
        assert isinstance(region, int)
        if runs and runs[-1][2] == groups and runs[-1][1] + 1 == region:
            runs[-1] = (runs[-1][0], region, groups)
        else:
            runs.append((region, region, groups))
    outcomes = []
    for first, last, groups in runs:
        bounds: dict[str, float | bool] = {}
        low = _lower(first, cuts)
        high = _upper(last, cuts)
        if low is not None:
            bounds["min"], bounds["min_inclusive"] = low
        if high is not None:
            bounds["max"], bounds["max_inclusive"] = high
        when = _words(low, high, domain.field.unit)
        outcomes.append(DecidingOutcome(when, bounds, None, _ordered(groups, order)))
    return outcomes


def _lower(region: int, cuts: Sequence[float]) -> tuple[float, bool] | None:
    """The lower end of a region: region 2i lies between cut i-1 and cut i, 2i+1 is cut i."""
    if region % 2:
        return cuts[region // 2], True
    index = region // 2 - 1
    return (cuts[index], False) if index >= 0 else None


def _upper(region: int, cuts: Sequence[float]) -> tuple[float, bool] | None:
    if region % 2:
        return cuts[region // 2], True
    index = region // 2
    return (cuts[index], False) if index < len(cuts) else None


def _number(value: float, unit: str | None) -> str:
    text = f"{value:,.10g}"
    return f"{text} {unit}" if unit else text


def _words(
    low: tuple[float, bool] | None, high: tuple[float, bool] | None, unit: str | None
) -> str:
    """A range in words: "above X unit", "at most X unit", "from X to below Y unit"."""
    if low is not None and high is not None:
        if low[0] == high[0]:
            return f"exactly {_number(low[0], unit)}"
        start = ("from " if low[1] else "above ") + f"{low[0]:,.10g}"
        end = ("to " if high[1] else "to below ") + _number(high[0], unit)
        return f"{start} {end}"
    if low is not None:
        return ("at least " if low[1] else "above ") + _number(low[0], unit)
    if high is not None:
        return ("at most " if high[1] else "below ") + _number(high[0], unit)
    return "any value"


def _code_outcomes(
    per_value: Sequence[tuple[CellValue, frozenset[str]]],
    domain: FieldDomain,
    order: Sequence[str],
) -> list[DecidingOutcome]:
    """One outcome per set of codes that leave the same groups (a boolean's codes are
    true and false)."""
    by_iri = {iri: code for code, iri in domain.field.codes.items()}
    merged: dict[frozenset[str], list[str]] = {}
    for value, groups in per_value:
        if isinstance(value, bool):
            code = "true" if value else "false"
        else:
            code = by_iri.get(str(value), str(value)) if isinstance(value, URIRef) else str(value)
        merged.setdefault(groups, []).append(code)
    return [
        DecidingOutcome(" or ".join(codes), None, tuple(codes), _ordered(groups, order))
        for groups, codes in merged.items()
    ]


def _lesion_outcomes(
    per_value: Sequence[tuple[CellValue, frozenset[str]]],
    model: PatientModel,
    order: Sequence[str],
) -> list[DecidingOutcome]:
    """For pending lesions: none of them found, and each one found (the others either
    way)."""
    none_found = frozenset().union(*(groups for value, groups in per_value if value == frozenset()))
    outcomes = [
        DecidingOutcome("none of the pending lesions found", None, (), _ordered(none_found, order))
    ]
    candidates = sorted(
        {lesion for value, _ in per_value if isinstance(value, frozenset) for lesion in value}
    )
    for lesion in candidates:
        groups = frozenset().union(
            *(g for value, g in per_value if isinstance(value, frozenset) and lesion in value)
        )
        label = model.lesions.display.get(lesion, lesion)
        outcomes.append(DecidingOutcome(f"{label} found", None, (label,), _ordered(groups, order)))
    return outcomes
