"""Risk schemes read from the ontology, and how a scheme turns criteria into a group."""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal

from pedall.classify.result import csv_columns, json_keys, table_columns
from pedall.classify.schemes import Schemes, read_schemes
from pedall.errors import DataFileError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL

RISK_SCHEME = str(PEDALL["CMCP-ALL2008"])
NCI_SCHEME = str(PEDALL["NCI-Rome"])


@pytest.fixture(scope="module")
def schemes(knowledge_base: KnowledgeBase) -> Schemes:
    return read_schemes(knowledge_base.graph)


def test_the_primary_scheme_and_the_report_keys_are_read_from_the_ontology(
    schemes: Schemes,
) -> None:
    assert schemes.primary.iri == RISK_SCHEME
    assert [s.iri for s in schemes.secondary] == [NCI_SCHEME]
    assert [s.report_key for s in schemes.reported] == ["risk_group", "nci_rome"]
    assert [s.report_label for s in schemes.reported] == ["CMCP-ALL2008", "NCI/Rome"]


def test_the_contract_keys_and_columns_derive_from_the_schemes(schemes: Schemes) -> None:
    keys = json_keys(schemes)
    assert keys[:2] == ("patient_id", "risk_group") and keys[-1] == "nci_rome"
    # CSV: the JSON's order, but the explanation in words last (the contract tests pin it).
    assert csv_columns(schemes) == (*(k for k in keys if k != "deciding"), "deciding")
    assert table_columns(schemes) == csv_columns(schemes)[:-1]


def _edited(knowledge_base: KnowledgeBase) -> Graph:
    graph = Graph()
    for triple in knowledge_base.graph.triples((None, None, None)):
        graph.add(triple)
    return graph


def test_a_second_primary_scheme_is_a_data_error(knowledge_base: KnowledgeBase) -> None:
    graph = _edited(knowledge_base)
    graph.add((PEDALL["NCI-Rome"], RDF.type, PEDALL.PrimaryRiskScheme))
    with pytest.raises(DataFileError, match="exactly one pedall:PrimaryRiskScheme; found 2"):
        read_schemes(graph)


@pytest.mark.parametrize("key", ["risk_group", "possible_groups", "patient_id"])
def test_a_report_key_taken_is_a_data_error(knowledge_base: KnowledgeBase, key: str) -> None:
    graph = _edited(knowledge_base)
    graph.set((PEDALL["NCI-Rome"], PEDALL.reportKey, Literal(key)))
    with pytest.raises(DataFileError, match=f"reportKey '{key}' is already taken"):
        read_schemes(graph)


def test_groups_are_ordered_by_rank(schemes: Schemes) -> None:
    assert schemes[RISK_SCHEME].codes() == ["low", "standard", "high", "very-high"]
    assert schemes[NCI_SCHEME].codes() == ["standard", "high", "not-applicable"]


def test_every_criterion_cites_the_review(schemes: Schemes) -> None:
    for scheme in schemes.values():
        for criterion in scheme.criteria:
            assert "https://doi.org/10.3345/kjp.2017.60.5.129" in criterion.sources
            assert criterion.section


def test_the_highest_any_of_group_wins(schemes: Schemes) -> None:
    cmcp = schemes[RISK_SCHEME]
    high = cmcp.group("high").criteria[0].iri
    very_high = cmcp.group("very-high").criteria[0].iri
    assert cmcp.assign_met({high}) == "high"
    assert cmcp.assign_met({high, very_high}) == "very-high"


def test_a_profile_group_needs_all_its_conditions(schemes: Schemes) -> None:
    cmcp = schemes[RISK_SCHEME]
    low = [c.iri for c in cmcp.group("low").criteria]
    assert cmcp.assign_met(low) == "low"
    assert cmcp.assign(lambda iri: True if iri in low[:-1] else None) is None


def test_three_valued_assignment_waits_for_an_undecided_higher_group(
    schemes: Schemes,
) -> None:
    cmcp = schemes[RISK_SCHEME]
    high = cmcp.group("high").criteria[0].iri
    very_high = cmcp.group("very-high").criteria[0].iri
    truth = {high: True, very_high: None}
    assert cmcp.assign(lambda iri: truth.get(iri, False)) is None
    truth[very_high] = False
    assert cmcp.assign(lambda iri: truth.get(iri, False)) == "high"
