"""Genetics pending (the ``lesions_pending`` column and ``pedall:pendingLesion``): a pending
lesion is unknown, so the groups it could reach stay possible and ``missing`` names
``lesions_pending``; a lesion neither detected nor pending is absent. Both engines."""

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
from pedall.patients.readers.csv_table import PatientRecord, read_csv
from pedall.patients.readers.rdf import RdfPatientFields, read_rdf
from pedall.toolkit import toolkit

ENGINES = ["fast", "reference"]


def fields(kb: KnowledgeBase) -> RdfPatientFields:
    return RdfPatientFields.from_knowledge(kb, toolkit(kb).model)


def table(*rows: dict[str, str]) -> str:
    columns = ["patient_id", *COMPLETE_PATIENT, "lesions_pending"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        writer.writerow({"patient_id": f"P{number}", **COMPLETE_PATIENT, **row})
    return out.getvalue()


def classify(
    knowledge_base: KnowledgeBase, engine: str, *rows: dict[str, str]
) -> list[dict[str, object]]:
    outcome = classify_input(knowledge_base, table(*rows).encode(), "text/csv", engine=engine)
    assert outcome.errors == [], outcome.errors
    return [r.as_dict() for r in outcome.results]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pending_lesion_keeps_its_group_possible(
    knowledge_base: KnowledgeBase, engine: str
) -> None:
    done, pending = classify(knowledge_base, engine, {}, {"lesions_pending": "BCR::ABL1"})
    assert done["possible_groups"] == ["standard"] and done["missing"] == []
    assert pending["risk_group"] == "standard"
    assert pending["possible_groups"] == ["standard", "very-high"]
    assert pending["provisional"] is True
    assert pending["missing"] == ["lesions_pending"]


@pytest.mark.parametrize("engine", ENGINES)
def test_pending_classes_more_or_less_specific_than_the_criteria(
    knowledge_base: KnowledgeBase, engine: str
) -> None:
    # The high-risk criterion asks for a KMT2A rearrangement: a pending KMT2A::AFF1 (more
    # specific) and a pending KMT2A rearrangement (the same) both keep high possible.
    specific, general, unrelated = classify(
        knowledge_base,
        engine,
        {"lesions_pending": "KMT2A::AFF1"},
        {"lesions_pending": "KMT2A rearrangement"},
        {"lesions_pending": "NOTCH1 mutation"},  # no criterion reads it
    )
    assert specific["possible_groups"] == general["possible_groups"] == ["standard", "high"]
    assert unrelated["possible_groups"] == ["standard"] and unrelated["missing"] == []


# The fast engine only: with every lesion pending, the reference engine has to run pyshacl
# on every subset of the tested lesions (40 s); the differential tests compare the engines
# on single pending lesions.
@pytest.mark.parametrize("engine", ["fast"])
def test_all_pending_leaves_every_genetic_group_possible(
    knowledge_base: KnowledgeBase, engine: str
) -> None:
    (result,) = classify(knowledge_base, engine, {"lesions_pending": "all"})
    # Favourable genetics (low), and the adverse lesions of high and very high.
    assert result["possible_groups"] == ["low", "standard", "high", "very-high"]
    assert result["missing"] == ["lesions_pending"]


@pytest.mark.parametrize("engine", ENGINES)
def test_detected_lesions_count_beside_pending_ones(
    knowledge_base: KnowledgeBase, engine: str
) -> None:
    (result,) = classify(
        knowledge_base, engine, {"lesions": "ETV6::RUNX1", "lesions_pending": "BCR::ABL1"}
    )
    assert result["possible_groups"] == ["low", "very-high"]


def test_empty_lesions_pending_is_the_old_contract(knowledge_base: KnowledgeBase) -> None:
    without = classify_input(
        knowledge_base,
        (
            "patient_id,"
            + ",".join(COMPLETE_PATIENT)
            + "\nP1,"
            + ",".join(COMPLETE_PATIENT.values())
            + "\n"
        ).encode(),
        "text/csv",
    ).results[0]
    (with_empty,) = classify(knowledge_base, "fast", {"lesions_pending": ""})
    assert without.as_dict() == with_empty


def test_pending_codes_are_read_like_lesions(knowledge_base: KnowledgeBase) -> None:
    model = toolkit(knowledge_base).model
    read = read_csv(
        table({"lesions_pending": "bcr-abl1; t(4;11)(q21;q23)"}, {"lesions_pending": "ALL"}), model
    )
    assert read.issues == []
    first, second = read.records
    assert first.pending == {str(PEDALL["BCR-ABL1"]), str(PEDALL["KMT2A-AFF1"])}
    assert second.pending == {str(PEDALL.GeneticLesion)}


def test_an_unknown_pending_code_is_a_located_error(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(
        knowledge_base, table({"lesions_pending": "BCR-ABL9"}, {}).encode(), "text/csv"
    )
    (error,) = outcome.errors
    assert (error.line, error.column, error.value) == (2, "lesions_pending", "BCR-ABL9")
    assert "'all'" in error.message
    assert [r.patient_id for r in outcome.results] == ["P2"]  # the other row is classified


def test_pending_lesions_are_said_in_the_patient_graph_and_read_back(
    knowledge_base: KnowledgeBase,
) -> None:
    model = toolkit(knowledge_base).model
    (record,) = read_csv(table({"lesions_pending": "BCR::ABL1"}), model).records
    graph = Graph()
    node = PatientGraphWriter(model).add_record(graph, record)
    assert set(graph.objects(node, PEDALL.pendingLesion)) == {URIRef(PEDALL["BCR-ABL1"])}
    back = read_rdf(
        graph.serialize(format="turtle"), "turtle", model, fields(knowledge_base), "back.ttl"
    )
    assert back.issues == []
    assert back.records[0].pending == record.pending
    # The same patient from RDF classifies as from the table.
    assert [c.outcome for c in toolkit(knowledge_base).fast_engine.classify(back.records)] == [
        c.outcome for c in toolkit(knowledge_base).fast_engine.classify([record])
    ]


def test_a_table_without_lesions_says_every_lesion_is_pending_in_rdf(
    knowledge_base: KnowledgeBase,
) -> None:
    model = toolkit(knowledge_base).model
    record = PatientRecord("P1", {}, (), lesions_known=False)
    graph = Graph()
    node = PatientGraphWriter(model).add_record(graph, record)
    assert list(graph.objects(node, PEDALL.pendingLesion)) == [PEDALL.GeneticLesion]


def test_a_pending_lesion_that_is_no_lesion_class_in_rdf_is_located(
    knowledge_base: KnowledgeBase,
) -> None:
    model = toolkit(knowledge_base).model
    text = (
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<urn:p1> a pedall:Patient ; pedall:patientId "P1" ; pedall:pendingLesion "BCR-ABL9" .\n'
    )
    read = read_rdf(text, "turtle", model, fields(knowledge_base), "p.ttl")
    (issue,) = [i for i in read.issues if i.is_error]
    assert (issue.column, issue.value) == ("lesions_pending", "BCR-ABL9")
