"""Recorded lesions that bound a patient's values: a ploidy word and the chromosome count.

A lesion class may bound a patient property (``pedall:minChromosomeCount`` and
``pedall:maxChromosomeCount`` on the ploidy classes: low hypodiploidy is 32 to 39
chromosomes). A recorded value outside the bounds of a recorded lesion contradicts it; the
readers report that as an error naming both columns. When the value is not known, the
classifier keeps only the values within the bounds possible (``pedall.classify.completion``).
Nothing here knows a bound: they come from the ontology through ``LesionVocabulary``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pedall.patients.model import LESIONS_COLUMN, Bounds, PatientField, PatientModel


def within(value: float, bounds: Bounds) -> bool:
    least, greatest = bounds
    return (least is None or value >= least) and (greatest is None or value <= greatest)


def describe(bounds: Bounds) -> str:
    """Bounds in words: "32 to 39", "at most 45", "at least 51"."""
    least, greatest = (None if b is None else f"{b:g}" for b in bounds)
    if least is not None and greatest is not None:
        return f"{least} to {greatest}"
    return f"at most {greatest}" if least is None else f"at least {least}"


def bound_violations(
    values: Mapping[str, object], lesions: tuple[str, ...], model: PatientModel
) -> list[tuple[str, str, str]]:
    """(column, value, message) for each recorded value outside the bounds of the recorded
    lesions, and for lesions whose bounds exclude each other."""
    bounded = model.lesions.bounds_of(lesions) if lesions else {}
    if not bounded:
        return []
    fields: dict[str, PatientField] = model.field_by_property()
    problems = []
    for prop, bounds in bounded.items():
        spec = fields.get(prop)
        column = spec.column if spec is not None else prop
        names = [name for name, _ in _bounding_lesions(lesions, prop, model)]
        least, greatest = bounds
        if least is not None and greatest is not None and least > greatest:
            each = ", ".join(
                f"{name!r} needs {describe(own)}"
                for name, own in _bounding_lesions(lesions, prop, model)
            )
            problems.append(
                (
                    LESIONS_COLUMN,
                    "; ".join(name for name, _ in _bounding_lesions(lesions, prop, model)),
                    f"these lesions contradict each other on {column}: {each}",
                )
            )
            continue
        value = values.get(prop)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and not within(value, bounds):  # type: ignore[arg-type]
            problems.append(
                (
                    column,
                    f"{value:g}",
                    f"{column} = {value:g} contradicts {LESIONS_COLUMN} "
                    f"({', '.join(repr(n) for n in names)}), which needs {column} "
                    f"{describe(bounds)}; correct one of {LESIONS_COLUMN} and {column}",
                )
            )
    return problems


def _bounding_lesions(
    lesions: tuple[str, ...], prop: str, model: PatientModel
) -> list[tuple[str, Bounds]]:
    """The label and own bounds of each recorded lesion that bounds ``prop`` (itself or
    by a superclass)."""
    vocabulary = model.lesions
    out = []
    for lesion in lesions:
        own = vocabulary.bounds_of((lesion,)).get(prop)
        if own is not None:
            out.append((vocabulary.display.get(lesion, lesion), own))
    return out
