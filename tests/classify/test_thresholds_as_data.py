"""Thresholds are data: a changed threshold in a copy of the data files changes the
classification of the same patient, through ``KnowledgeBase.load(root)`` and through
``pedall classify --data-root``, with no code change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from data_copies import copy_data_files, patient_csv
from pedall.api import classify_input
from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase

PSHAPE = "https://w3id.org/pedall/shapes/"


def set_threshold(path: Path, shape: str, predicate: URIRef, old: float, new: float) -> None:
    """Change one numeric constraint of one property shape of ``shape`` in a Turtle file,
    asserting it had the value expected."""
    graph = Graph()
    graph.parse(path, format="turtle")
    matches = [
        (prop, value)
        for prop in graph.objects(URIRef(PSHAPE + shape), SH.property)
        for value in graph.objects(prop, predicate)
    ]
    assert len(matches) == 1, matches
    prop, value = matches[0]
    assert isinstance(value, Literal) and float(value.toPython()) == old
    graph.remove((prop, predicate, value))
    graph.add((prop, predicate, Literal(new, datatype=value.datatype)))
    path.write_text(graph.serialize(format="longturtle"), encoding="utf-8")


def risk_group(kb: KnowledgeBase, payload: bytes) -> str:
    outcome = classify_input(kb, payload, "text/csv")
    assert outcome.errors == []
    return outcome.results[0].outcome.risk_group


@pytest.fixture(scope="module")
def slower_prephase_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the data files where a poor prephase response needs 2,000 blasts/uL."""
    root = copy_data_files(tmp_path_factory.mktemp("data"))
    set_threshold(
        root / "shapes" / "derived-findings.ttl",
        "PoorPrephaseCondition",
        SH.minInclusive,
        1000,
        2000,
    )
    return root


def test_the_prephase_threshold_is_read_from_the_shapes(
    knowledge_base: KnowledgeBase, slower_prephase_root: Path
) -> None:
    payload = patient_csv(prephase_blasts_per_ul="1500")
    assert risk_group(knowledge_base, payload) == "high"
    assert risk_group(KnowledgeBase.load(slower_prephase_root), payload) == "standard"


def test_the_age_cut_is_read_from_the_shapes(knowledge_base: KnowledgeBase, tmp_path: Path) -> None:
    root = copy_data_files(tmp_path)
    conditions = root / "shapes" / "risk-conditions.ttl"
    # The 15-year cut closes one group and opens the next: move both ends together.
    set_threshold(conditions, "AgeFifteenOrOlder", SH.minInclusive, 15.0, 16.0)
    set_threshold(conditions, "AgeTenToUnderFifteen", SH.maxExclusive, 15.0, 16.0)
    payload = patient_csv(age_years="15.5")
    assert risk_group(knowledge_base, payload) == "very-high"
    assert risk_group(KnowledgeBase.load(root), payload) == "high"


def test_the_cli_classifies_with_the_data_root_it_is_given(
    slower_prephase_root: Path, tmp_path: Path
) -> None:
    patients = tmp_path / "patients.csv"
    patients.write_bytes(patient_csv(prephase_blasts_per_ul="1500"))
    result = CliRunner().invoke(
        main,
        ["classify", str(patients), "--format", "json", "--data-root", str(slower_prephase_root)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["results"][0]["risk_group"] == "standard"
