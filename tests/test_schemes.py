"""Risk schemes read from the ontology, and how a scheme turns criteria into a group."""

from __future__ import annotations

import pytest

from pedall.classify.result import NCI_SCHEME, RISK_SCHEME
from pedall.classify.schemes import Scheme, read_schemes
from pedall.knowledge.base import KnowledgeBase


@pytest.fixture(scope="module")
def schemes(knowledge_base: KnowledgeBase) -> dict[str, Scheme]:
    return read_schemes(knowledge_base.graph)


def test_groups_are_ordered_by_rank(schemes: dict[str, Scheme]) -> None:
    assert schemes[RISK_SCHEME].codes() == ["low", "standard", "high", "very-high"]
    assert schemes[NCI_SCHEME].codes() == ["standard", "high", "not-applicable"]


def test_every_criterion_cites_the_review(schemes: dict[str, Scheme]) -> None:
    for scheme in schemes.values():
        for criterion in scheme.criteria:
            assert "https://doi.org/10.3345/kjp.2017.60.5.129" in criterion.sources
            assert criterion.section


def test_the_highest_any_of_group_wins(schemes: dict[str, Scheme]) -> None:
    cmcp = schemes[RISK_SCHEME]
    high = cmcp.group("high").criteria[0].iri
    very_high = cmcp.group("very-high").criteria[0].iri
    assert cmcp.assign_met({high}) == "high"
    assert cmcp.assign_met({high, very_high}) == "very-high"


def test_a_profile_group_needs_all_its_conditions(schemes: dict[str, Scheme]) -> None:
    cmcp = schemes[RISK_SCHEME]
    low = [c.iri for c in cmcp.group("low").criteria]
    assert cmcp.assign_met(low) == "low"
    assert cmcp.assign(lambda iri: True if iri in low[:-1] else None) is None


def test_three_valued_assignment_waits_for_an_undecided_higher_group(
    schemes: dict[str, Scheme],
) -> None:
    cmcp = schemes[RISK_SCHEME]
    high = cmcp.group("high").criteria[0].iri
    very_high = cmcp.group("very-high").criteria[0].iri
    truth = {high: True, very_high: None}
    assert cmcp.assign(lambda iri: truth.get(iri, False)) is None
    truth[very_high] = False
    assert cmcp.assign(lambda iri: truth.get(iri, False)) == "high"
