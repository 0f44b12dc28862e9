"""What a classification says about one patient, as the public contract defines it.

For every patient: ``possible_groups`` (every CMCP-ALL2008 group some completion of the
missing fields reaches, low to very-high), ``risk_group`` (the lowest of them),
``provisional`` (more than one possible), ``missing`` (the CSV columns whose value would
narrow the possible groups), ``criteria`` (the criteria that hold whatever the missing
values are), ``nci_rome`` (the NCI/Rome group when every completion agrees, else None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pedall.classify.schemes import Criterion, Scheme
from pedall.namespaces import PEDALL

RISK_SCHEME = str(PEDALL["CMCP-ALL2008"])
NCI_SCHEME = str(PEDALL["NCI-Rome"])


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

    def as_dict(self) -> dict[str, object]:
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


@dataclass(frozen=True)
class Outcome:
    """The classification of a patient's data, independent of who the patient is (so
    patients with the same data share one)."""

    possible_groups: tuple[str, ...]
    missing: tuple[str, ...]
    criteria: tuple[CriterionHit, ...]
    nci_rome: str | None
    deciding: tuple[Deciding, ...] = ()  # ordered: the column that narrows most first

    @property
    def risk_group(self) -> str:
        return self.possible_groups[0]

    @property
    def provisional(self) -> bool:
        return len(self.possible_groups) > 1


@dataclass(frozen=True)
class Classification:
    """One patient's classification with where the patient came from."""

    patient_id: str
    outcome: Outcome
    line: int | None = None
    source: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        outcome = self.outcome
        result: dict[str, object] = {
            "patient_id": self.patient_id,
            "risk_group": outcome.risk_group,
            "possible_groups": list(outcome.possible_groups),
            "provisional": outcome.provisional,
            "missing": list(outcome.missing),
            "deciding": [d.as_dict() for d in outcome.deciding],
            "criteria": [c.as_dict() for c in outcome.criteria],
            "nci_rome": outcome.nci_rome,
        }
        for column, value in self.extra.items():
            result.setdefault(column, value)
        return result


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
