"""What a classification says about one patient, as the public contract defines it.

For every patient, of the primary scheme (``pedall:PrimaryRiskScheme``, CMCP-ALL2008 in
the shipped data): ``possible_groups`` (every group some completion of the missing fields
reaches, lowest rank first), its group under the scheme's report key (``risk_group``: the
lowest of them), ``provisional`` (more than one possible), ``missing`` (the CSV columns
whose value would narrow the possible groups), ``deciding`` (what each answer would leave),
``criteria`` (the criteria that hold whatever the missing values are); and of every other
scheme, under its report key (``nci_rome``), its group when every completion agrees, else
None. ``ClassificationJson`` is that contract; ``json_keys``, ``csv_columns`` and
``table_columns`` derive the keys and columns of every format from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from pedall.classify.schemes import Criterion, Scheme, Schemes


@dataclass(frozen=True)
class CriterionHit:
    """A criterion that holds, as reported: id, label, group and sources."""

    id: str
    iri: str
    label: str
    group: str
    sources: tuple[str, ...]
    section: str

    @classmethod
    def of(cls, criterion: Criterion) -> CriterionHit:
        return cls(
            criterion.id,
            criterion.iri,
            criterion.label,
            criterion.group_code,
            criterion.sources,
            criterion.section,
        )

    def as_dict(self) -> CriterionJson:
        return {
            "id": self.id,
            "iri": self.iri,
            "label": self.label,
            "group": self.group,
            "sources": list(self.sources),
            "section": self.section,
        }


@dataclass(frozen=True)
class DecidingOutcome:
    """One range (or set of codes) of a missing column and the groups still possible there."""

    when: str  # in words, e.g. "above X %" (X a threshold of the shapes)
    bounds: Mapping[str, float | bool] | None  # min/max with min_inclusive/max_inclusive
    codes: tuple[str, ...] | None  # for a coded column or a pending lesion
    possible_groups: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"when": self.when}
        if self.bounds is not None:
            out["bounds"] = dict(self.bounds)
        if self.codes is not None:
            out["codes"] = list(self.codes)
        out["possible_groups"] = list(self.possible_groups)
        return out


@dataclass(frozen=True)
class Deciding:
    """A missing column whose answer would narrow the possible groups, with its outcomes."""

    column: str
    outcomes: tuple[DecidingOutcome, ...]

    def settles(self) -> bool:
        """Whether every answer of this column leaves exactly one group."""
        return all(len(o.possible_groups) == 1 for o in self.outcomes)

    def as_dict(self) -> dict[str, object]:
        return {"column": self.column, "outcomes": [o.as_dict() for o in self.outcomes]}

    def as_text(self) -> str:
        """One line: "column: range -> groups; range -> groups"."""
        answers = "; ".join(f"{o.when} -> {', '.join(o.possible_groups)}" for o in self.outcomes)
        return f"{self.column}: {answers}"


class CriterionJson(TypedDict):
    id: str
    iri: str
    label: str
    group: str
    sources: list[str]
    section: str


class ClassificationJson(TypedDict):
    """The JSON of one patient (design.md, classifier output), in key order, but the group
    keys: the primary scheme's group follows ``patient_id`` under its report key
    (``risk_group``), the other schemes' groups close it under theirs (``nci_rome``)."""

    patient_id: str
    possible_groups: list[str]
    provisional: bool
    missing: list[str]
    deciding: list[dict[str, object]]
    criteria: list[CriterionJson]


# The contract's fields (but the patient id) that explain the primary scheme's group.
EXPLANATION_KEYS: tuple[str, ...] = tuple(ClassificationJson.__annotations__)[1:]
# Fields that CSV, Parquet and the table put after the other schemes' groups, or leave out.
TRAILING_IN_TABLES = ("deciding",)


def json_keys(schemes: Schemes) -> tuple[str, ...]:
    """The keys of a patient's JSON, in order."""
    return (
        "patient_id",
        schemes.primary.report_key,
        *EXPLANATION_KEYS,
        *(s.report_key for s in schemes.secondary),
    )


def table_columns(schemes: Schemes) -> tuple[str, ...]:
    """The leading columns of a table of results (Parquet): the JSON's, with the
    explanation in words (``deciding``) left out."""
    return (
        "patient_id",
        schemes.primary.report_key,
        *(k for k in EXPLANATION_KEYS if k not in TRAILING_IN_TABLES),
        *(s.report_key for s in schemes.secondary),
    )


def csv_columns(schemes: Schemes) -> tuple[str, ...]:
    """The contract's CSV columns: ``table_columns``, then ``deciding`` in words."""
    return (*table_columns(schemes), *TRAILING_IN_TABLES)


class PossibleGroups:
    """What the primary scheme's possible groups (lowest rank first) say: the group, the
    lowest of them, and whether it is provisional (more than one possible)."""

    possible_groups: tuple[str, ...]

    @property
    def risk_group(self) -> str:
        return self.possible_groups[0]

    @property
    def provisional(self) -> bool:
        return len(self.possible_groups) > 1


@dataclass(frozen=True)
class Outcome(PossibleGroups):
    """The classification of a patient's data, independent of who the patient is (so
    patients with the same data share one)."""

    possible_groups: tuple[str, ...]  # of the primary scheme, lowest rank first
    missing: tuple[str, ...]
    criteria: tuple[CriterionHit, ...]
    # Each other scheme's report key with its group, None when the completions disagree.
    others: tuple[tuple[str, str | None], ...]
    primary_key: str  # the primary scheme's report key
    deciding: tuple[Deciding, ...] = ()  # ordered: the column that narrows most first

    def json_keys(self) -> tuple[str, ...]:
        """The contract's keys of this outcome's JSON, in order (``json_keys``)."""
        return ("patient_id", self.primary_key, *EXPLANATION_KEYS, *(k for k, _ in self.others))

    def group_in(self, key: str) -> str | None:
        """The group under report key ``key``: the primary's or another scheme's."""
        if key == self.primary_key:
            return self.risk_group
        return dict(self.others)[key]


@dataclass(frozen=True)
class Classification:
    """One patient's classification with where the patient came from."""

    patient_id: str
    outcome: Outcome
    line: int | None = None
    source: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The patient's ``ClassificationJson`` with the group keys, then the extra
        columns."""
        outcome = self.outcome
        contract: ClassificationJson = {
            "patient_id": self.patient_id,
            "possible_groups": list(outcome.possible_groups),
            "provisional": outcome.provisional,
            "missing": list(outcome.missing),
            "deciding": [d.as_dict() for d in outcome.deciding],
            "criteria": [c.as_dict() for c in outcome.criteria],
        }
        result: dict[str, object] = {
            "patient_id": self.patient_id,
            outcome.primary_key: outcome.risk_group,
        }
        result.update((k, v) for k, v in contract.items() if k != "patient_id")
        result.update(outcome.others)
        for column, value in self.extra.items():
            result.setdefault(column, value)
        return result


def outcome_of(
    schemes: Schemes,
    possible: frozenset[str],
    missing_deciding: tuple[tuple[str, ...], tuple[Deciding, ...]],
    certain: set[str],
    others: Sequence[frozenset[str]],
) -> Outcome:
    """The outcome both engines report, from what the completions reach: the primary
    scheme's ``possible`` groups, its missing and deciding columns, the criteria that hold
    in every completion (``certain``), and the groups each other scheme reaches (in
    ``schemes.secondary`` order)."""
    primary = schemes.primary
    groups = ordered(primary, set(possible))
    missing, deciding = missing_deciding
    return Outcome(
        groups,
        missing,
        reported_criteria(primary, certain, groups[0]),
        tuple(
            (scheme.report_key, single(set(codes)))
            for scheme, codes in zip(schemes.secondary, others, strict=True)
        ),
        primary.report_key,
        deciding,
    )


def reported_criteria(
    scheme: Scheme, certain: set[str], risk_group: str
) -> tuple[CriterionHit, ...]:
    """The criteria to report: each sufficient (any-of) criterion that certainly holds, and
    the conditions of the patient's own group when it is a profile (all-of) group."""
    hits = []
    for group in reversed(scheme.groups):
        if group.any_of or group.code == risk_group:
            hits += [CriterionHit.of(c) for c in group.criteria if c.iri in certain]
    return tuple(hits)


def ordered(scheme: Scheme, codes: set[str]) -> tuple[str, ...]:
    """Group codes from the lowest rank to the highest."""
    return tuple(code for code in scheme.codes() if code in codes)


def single(codes: set[str]) -> str | None:
    return next(iter(codes)) if len(codes) == 1 else None
