"""The risk classification schemes as data: groups, their order and how their criteria
combine, and how results report them, read from ``ontology/risk-schemes.ttl``.

Which scheme is primary (``pedall:PrimaryRiskScheme``: reported with its possible groups,
provisional flag, missing fields and criteria) and under which key each scheme is reported
(``pedall:reportKey``, in ``pedall:reportOrder``) are data too: ``Schemes`` holds them.

``Scheme.assign`` turns the set of criteria that hold for a (complete) patient into the
group: groups are tried from the highest rank down; an any-of group applies when one of
its criteria holds, an all-of group (a profile) when all of them hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from pedall.errors import DataFileError
from pedall.namespaces import PEDALL
from pedall.shacl.values import Truth, kleene_and, kleene_or


@dataclass(frozen=True)
class Criterion:
    """One criterion of a scheme, with the group it assigns and its sources."""

    iri: str
    label: str
    group_code: str
    condition: str
    sources: tuple[str, ...]
    section: str

    @property
    def id(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RiskGroup:
    iri: str
    code: str
    label: str
    rank: int
    any_of: bool
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Scheme:
    """A risk scheme: its groups from lowest to highest rank, and how results report it."""

    iri: str
    label: str
    groups: tuple[RiskGroup, ...]
    report_key: str = ""
    report_label: str = ""  # the short name a person reads (table titles, headers)
    report_order: int = 0
    primary: bool = False

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for g in self.groups for c in g.criteria)

    def codes(self) -> list[str]:
        return [g.code for g in self.groups]

    def group(self, code: str) -> RiskGroup:
        return next(g for g in self.groups if g.code == code)

    def assign(self, truth: Callable[[str], Truth]) -> str | None:
        """The group's code given each criterion's truth (by IRI), or None when what is
        known does not decide it (three-valued: ``truth`` may return None)."""
        for group in reversed(self.groups):
            truths = [truth(c.iri) for c in group.criteria]
            applies = kleene_or(truths) if group.any_of else kleene_and(truths)
            if applies is None:
                return None
            if applies:
                return group.code
        raise DataFileError(f"{self.iri}: no group applies; the scheme's groups are incomplete")

    def possible(self, truth: Callable[[str], Truth]) -> frozenset[str]:
        """The codes some completion of what is known could get (three-valued, as
        ``assign``): every group down to the first that certainly applies, but those that
        certainly do not. A superset of what completions reach; one code when decided."""
        found: set[str] = set()
        for group in reversed(self.groups):
            truths = [truth(c.iri) for c in group.criteria]
            applies = kleene_or(truths) if group.any_of else kleene_and(truths)
            if applies is not False:
                found.add(group.code)
            if applies:
                return frozenset(found)
        if not found:
            raise DataFileError(f"{self.iri}: no group applies; the scheme's groups are incomplete")
        return frozenset(found)

    def assign_met(self, met: Iterable[str]) -> str:
        """The group of a complete patient given the criteria that hold."""
        held = set(met)
        code = self.assign(lambda iri: iri in held)
        assert code is not None
        return code


# The contract's fields of the primary scheme besides its group (design.md): no scheme may
# be reported under one of these keys, nor under the patient's.
RESERVED_KEYS = frozenset(
    ("patient_id", "possible_groups", "provisional", "missing", "deciding", "criteria")
)


@dataclass(frozen=True)
class Schemes(Mapping[str, Scheme]):
    """Every scheme of the ontology, keyed by IRI, in report order: the primary first."""

    reported: tuple[Scheme, ...]

    def __post_init__(self) -> None:
        primaries = [s.iri for s in self.reported if s.primary]
        if len(primaries) != 1:
            raise DataFileError(
                f"the ontology must declare exactly one pedall:PrimaryRiskScheme; found "
                f"{len(primaries)}{': ' + ', '.join(primaries) if primaries else ''}"
            )
        keys: dict[str, str] = {}
        for scheme in self.reported:
            if scheme.report_key in RESERVED_KEYS or scheme.report_key in keys:
                holder = keys.get(scheme.report_key, "the classification contract")
                raise DataFileError(
                    f"{scheme.iri}: pedall:reportKey {scheme.report_key!r} is already taken "
                    f"by {holder}"
                )
            keys[scheme.report_key] = scheme.iri

    @property
    def primary(self) -> Scheme:
        return self.reported[0]

    @property
    def secondary(self) -> tuple[Scheme, ...]:
        return self.reported[1:]

    def by_key(self, key: str) -> Scheme:
        return next(s for s in self.reported if s.report_key == key)

    def __getitem__(self, iri: str) -> Scheme:
        for scheme in self.reported:
            if scheme.iri == iri:
                return scheme
        raise KeyError(iri)

    def __iter__(self) -> Iterator[str]:
        return (s.iri for s in self.reported)

    def __len__(self) -> int:
        return len(self.reported)


def read_schemes(graph: Graph) -> Schemes:
    """Every scheme in the ontology, in report order (DataFileError unless exactly one is
    primary and each has its own report key)."""
    schemes = []
    for scheme in graph.subjects(RDF.type, PEDALL.RiskScheme):
        groups = []
        for group in graph.subjects(PEDALL.inScheme, scheme):
            if (group, RDF.type, PEDALL.RiskGroup) not in graph:
                continue
            code = _literal(graph, group, PEDALL.riskCode)
            criteria = tuple(
                sorted(
                    (
                        _criterion(graph, c, code)
                        for c in graph.subjects(PEDALL.assignsGroup, group)
                    ),
                    key=lambda c: c.iri,
                )
            )
            groups.append(
                RiskGroup(
                    iri=str(group),
                    code=code,
                    label=_literal(graph, group, RDFS.label),
                    rank=int(_literal(graph, group, PEDALL.rank)),
                    any_of=graph.value(group, PEDALL.criteriaCombination) == PEDALL.AnyOf,
                    criteria=criteria,
                )
            )
        groups.sort(key=lambda g: g.rank)
        schemes.append(
            Scheme(
                str(scheme),
                _literal(graph, scheme, RDFS.label),
                tuple(groups),
                report_key=_literal(graph, scheme, PEDALL.reportKey),
                report_label=_literal(graph, scheme, PEDALL.reportLabel),
                report_order=int(_literal(graph, scheme, PEDALL.reportOrder)),
                primary=(scheme, RDF.type, PEDALL.PrimaryRiskScheme) in graph,
            )
        )
    schemes.sort(key=lambda s: (not s.primary, s.report_order, s.iri))
    return Schemes(tuple(schemes))


def _criterion(graph: Graph, node: object, group_code: str) -> Criterion:
    assert isinstance(node, URIRef)
    condition = graph.value(node, PEDALL.condition)
    if condition is None:
        raise DataFileError(f"criterion {node} has no pedall:condition shape")
    return Criterion(
        iri=str(node),
        label=_literal(graph, node, RDFS.label),
        group_code=group_code,
        condition=str(condition),
        sources=tuple(sorted(str(s) for s in graph.objects(node, DCTERMS.source))),
        section=str(graph.value(node, PEDALL.section) or ""),
    )


def _literal(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    if not isinstance(value, Literal):
        raise DataFileError(f"{node} has no {predicate}")
    return str(value)
