"""Domains of missing fields: one representative per region cut by the shapes' thresholds."""

from __future__ import annotations

import pytest

from pedall.classify.completion import FieldDomain, completions, open_fields, representatives
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import FieldKind, PatientField
from pedall.patients.readers.csv_table import PatientRecord
from pedall.toolkit import toolkit


def test_number_representatives_cover_every_region_and_point() -> None:
    values = representatives(FieldKind.NUMBER, [1.0, 10.0], {})
    assert values == [0.5, 1.0, 5.5, 10.0, 11.0]


def test_integer_representatives_are_whole_numbers_in_each_nonempty_region() -> None:
    values = representatives(FieldKind.INTEGER, [31.0, 32.0, 45.0], {})
    assert values == [30, 31, 32, 33, 45, 46]
    assert all(isinstance(v, int) for v in values)


def test_region_tells_points_from_open_intervals() -> None:
    spec = PatientField("x", "http://example.org/x", FieldKind.NUMBER, {})
    domain = FieldDomain(spec, (), (1.0, 10.0))
    assert domain.region(0.99) == 0
    assert domain.region(1.0) == 1
    assert domain.region(9.99) == domain.region(2.0) == 2
    assert domain.region(10.0) == 3
    assert domain.region(10.01) == 4


@pytest.fixture(scope="module")
def domains(knowledge_base: KnowledgeBase) -> dict[str, FieldDomain]:
    return toolkit(knowledge_base).engine_spec.domains


def test_domains_come_from_the_shapes_thresholds(domains: dict[str, FieldDomain]) -> None:
    by_column = {d.field.column: d for d in domains.values()}
    assert set(by_column["age_years"].thresholds) >= {1.0, 10.0, 15.0}
    assert set(by_column["wbc_per_ul"].thresholds) >= {50000.0, 100000.0}
    assert "patient_id" not in by_column and "sex" not in by_column  # read by no rule


def test_completions_fill_only_missing_fields(
    domains: dict[str, FieldDomain], knowledge_base: KnowledgeBase
) -> None:
    model = toolkit(knowledge_base).model
    known = {p: d.values[0] for p, d in domains.items()}
    missing = next(p for p, d in domains.items() if d.field.column == "cr_after_induction")
    del known[missing]
    record = PatientRecord("P", known)
    filled = list(completions(record, open_fields(record, domains, model)))
    assert sorted(c[missing] for c in filled) == [False, True]
    assert all(c[p] == v for c in filled for p, v in known.items())
