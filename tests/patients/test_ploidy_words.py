"""Ploidy words bound the chromosome count (the bounds are data on the lesion classes):
hypodiploid < 46, low hypodiploid 32-39, near haploid 24-31, high hyperdiploid 51-67.
Table 1's criterion is fewer than 45 chromosomes, so 'hypodiploid' alone is not enough."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import Graph, URIRef

from patient_rows import COMPLETE_PATIENT
from pedall.api import classify_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.graph import PatientGraphWriter
from pedall.patients.readers.csv_table import read_csv
from pedall.shacl.pyshacl_runner import run_pyshacl
from pedall.toolkit import toolkit

COUNT = str(PEDALL.chromosomeCount)
VERY_HIGH = "CMCP-ALL2008-very-high-hypodiploidy"


def table(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["patient_id", *COMPLETE_PATIENT], lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        writer.writerow({"patient_id": f"P{number}", **COMPLETE_PATIENT, **row})
    return out.getvalue().encode()


def test_the_bounds_are_read_from_the_ontology(knowledge_base: KnowledgeBase) -> None:
    lesions = toolkit(knowledge_base).model.lesions

    def bounds(code: str) -> tuple[float | None, float | None]:
        iri = lesions.resolve(code)
        assert iri is not None, code
        return lesions.bounds_of((iri,))[COUNT]

    assert bounds("hypodiploid") == (None, 45)
    assert bounds("low hypodiploid") == (32, 39)
    assert bounds("near haploid") == (24, 31)
    assert bounds("high hyperdiploid") == (51, 67)
    assert bounds("high hypodiploid") == (40, 44)
    assert bounds("<45 chromosomes") == (None, 44)


CASES = [
    ("hypodiploid", "45", ["standard"]),  # most hypodiploid ALL: fares like the rest
    ("hypodiploid", "44", ["very-high"]),
    ("hypodiploid", "", ["standard", "very-high"]),  # the count decides
    ("low hypodiploid", "", ["very-high"]),
    ("near haploid", "", ["very-high"]),
    ("high hypodiploid", "", ["very-high"]),
    ("", "45", ["standard"]),
    ("", "44", ["very-high"]),
    ("high hyperdiploid", "", ["standard"]),
]


@pytest.fixture(scope="module", params=["fast", "reference"])
def classified(
    knowledge_base: KnowledgeBase, request: pytest.FixtureRequest
) -> list[dict[str, object]]:
    """Every case in one run of each engine."""
    rows = [{"lesions": lesions, "chromosome_count": count} for lesions, count, _ in CASES]
    outcome = classify_input(knowledge_base, table(*rows), "text/csv", engine=request.param)
    assert outcome.errors == []
    return [r.as_dict() for r in outcome.results]


@pytest.mark.parametrize(
    ("index", "groups"),
    [(i, groups) for i, (_, _, groups) in enumerate(CASES)],
    ids=[f"{lesions or '-'} {count or '?'}" for lesions, count, _ in CASES],
)
def test_ploidy_words_and_counts_classify(
    classified: list[dict[str, object]], index: int, groups: list[str]
) -> None:
    result = classified[index]
    assert result["possible_groups"] == groups
    criteria = {c["id"] for c in result["criteria"]}  # type: ignore[attr-defined]
    assert (VERY_HIGH in criteria) == (groups == ["very-high"])
    if len(groups) > 1:
        assert result["missing"] == ["chromosome_count"]


@pytest.mark.parametrize(
    ("lesions", "count", "bounds"),
    [
        ("low hypodiploid", "40", "32 to 39"),
        ("low hypodiploid", "31", "32 to 39"),
        ("near haploid", "32", "24 to 31"),
        ("hypodiploid", "46", "at most 45"),
        ("high hyperdiploid", "50", "51 to 67"),
        ("high hyperdiploid", "68", "51 to 67"),
        ("HeH", "80", "51 to 67"),
    ],
)
def test_a_word_that_contradicts_the_count_is_an_error_naming_both(
    knowledge_base: KnowledgeBase, lesions: str, count: str, bounds: str
) -> None:
    outcome = classify_input(
        knowledge_base, table({"lesions": lesions, "chromosome_count": count}, {}), "text/csv"
    )
    (error,) = outcome.errors
    assert (error.line, error.column, error.value) == (2, "chromosome_count", count)
    assert "lesions" in error.message and bounds in error.message
    assert [r.patient_id for r in outcome.results] == ["P2"]


@pytest.mark.parametrize(
    ("lesions", "count"),
    [
        ("low hypodiploid", "32"),
        ("low hypodiploid", "39"),
        ("near haploid", "24"),
        ("hypodiploid", "45"),
        ("high hyperdiploid", "51"),
        ("high hyperdiploid", "67"),
    ],
)
def test_counts_on_the_bounds_agree(
    knowledge_base: KnowledgeBase, lesions: str, count: str
) -> None:
    outcome = classify_input(
        knowledge_base, table({"lesions": lesions, "chromosome_count": count}), "text/csv"
    )
    assert outcome.errors == []


def test_two_words_that_exclude_each_other_are_an_error(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(
        knowledge_base,
        table({"lesions": "hypodiploid;high hyperdiploid", "chromosome_count": ""}),
        "text/csv",
    )
    (error,) = outcome.errors
    assert error.column == "lesions"
    assert "at most 45" in error.message and "51 to 67" in error.message


@pytest.mark.slow  # the reference engine
def test_80_chromosomes_is_not_high_hyperdiploid(knowledge_base: KnowledgeBase) -> None:
    tools = toolkit(knowledge_base)
    counts = {"51": True, "67": True, "68": False, "80": False}
    rows = table(*({"chromosome_count": c} for c in counts)).decode()
    records = read_csv(rows, tools.model).records
    graph = Graph()
    writer = PatientGraphWriter(tools.model)
    nodes = [writer.add_record(graph, record) for record in records]
    run_pyshacl(graph, knowledge_base.shapes, knowledge_base.graph, rules=True)
    finding = URIRef(PEDALL.HighHyperdiploidKaryotype)
    found = {
        n: (node, PEDALL.hasFinding, finding) in graph
        for n, node in zip(counts, nodes, strict=True)
    }
    assert found == counts
