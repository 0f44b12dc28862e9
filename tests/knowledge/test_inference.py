"""OWL RL inference (owlrl) does real work on patient graphs merged with the ontology."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef

from pedall.knowledge.base import KnowledgeBase, owl_rl_closure
from pedall.namespaces import PATIENT, PEDALL
from sparql_rows import select_rows

pytestmark = pytest.mark.slow  # owlrl closes the ontology with patients in it


@pytest.fixture(scope="module")
def closed_patients(knowledge_base: KnowledgeBase) -> Graph:
    """The ontology plus four patients, one lesion each, closed once with owlrl."""
    patients = Graph()
    for patient_id, lesion_class in [
        ("kmt2a-aff1", PEDALL["KMT2A-AFF1"]),
        ("pdgfrb", PEDALL["PDGFRB-rearrangement"]),
        ("crlf2", PEDALL["CRLF2-rearrangement"]),
        ("etv6-runx1", PEDALL["ETV6-RUNX1"]),
    ]:
        patient, lesion = PATIENT[patient_id], BNode()
        patients.add((patient, RDF.type, PEDALL.Patient))
        patients.add((patient, PEDALL.patientId, Literal(patient_id)))
        patients.add((patient, PEDALL.hasLesion, lesion))
        patients.add((lesion, RDF.type, lesion_class))
    return owl_rl_closure(knowledge_base.graph + patients)


def lesion_of(graph: Graph, patient: URIRef) -> BNode:
    lesion = graph.value(patient, PEDALL.hasLesion)
    assert isinstance(lesion, BNode)
    return lesion


def test_kmt2a_aff1_patient_is_a_kmt2a_rearranged_patient(closed_patients: Graph) -> None:
    patient = PATIENT["kmt2a-aff1"]
    assert (patient, RDF.type, PEDALL.KMT2ARearrangedPatient) in closed_patients
    assert (lesion_of(closed_patients, patient), RDF.type, PEDALL["KMT2A-rearrangement"]) in (
        closed_patients
    )


def test_other_lesions_do_not_make_a_kmt2a_rearranged_patient(closed_patients: Graph) -> None:
    for patient_id in ("pdgfrb", "crlf2", "etv6-runx1"):
        assert (PATIENT[patient_id], RDF.type, PEDALL.KMT2ARearrangedPatient) not in (
            closed_patients
        )


def test_abl_class_rearrangement_is_ph_like_and_makes_tkis_candidates(
    closed_patients: Graph,
) -> None:
    patient = PATIENT["pdgfrb"]
    lesion = lesion_of(closed_patients, patient)
    assert (lesion, RDF.type, PEDALL["ABL-class-rearrangement"]) in closed_patients
    assert (lesion, RDF.type, PEDALL["Ph-like"]) in closed_patients
    assert (lesion, PEDALL.targetedBy, PEDALL.imatinib) in closed_patients
    candidates = set(closed_patients.objects(patient, PEDALL.hasCandidateTherapy))
    assert candidates == {PEDALL.imatinib, PEDALL.dasatinib}
    assert (patient, RDF.type, PEDALL.PhLikePatient) in closed_patients
    assert (patient, RDF.type, PEDALL.TKICandidatePatient) in closed_patients
    assert (patient, RDF.type, PEDALL.JAKInhibitorCandidatePatient) not in closed_patients


def test_jak_stat_lesion_makes_ruxolitinib_a_candidate(closed_patients: Graph) -> None:
    patient = PATIENT["crlf2"]
    assert set(closed_patients.objects(patient, PEDALL.hasCandidateTherapy)) == {PEDALL.ruxolitinib}
    assert (patient, RDF.type, PEDALL.JAKInhibitorCandidatePatient) in closed_patients
    assert (patient, RDF.type, PEDALL.TKICandidatePatient) not in closed_patients


def test_untargeted_lesion_gives_no_candidate_therapy(closed_patients: Graph) -> None:
    assert list(closed_patients.objects(PATIENT["etv6-runx1"], PEDALL.hasCandidateTherapy)) == []


def test_partner_lesion_is_found_by_a_query_for_its_parent_class(closed_patients: Graph) -> None:
    rows = closed_patients.query(
        """SELECT ?patient WHERE { ?patient pedall:hasLesion ?lesion .
                                   ?lesion a pedall:KMT2A-rearrangement . }""",
        initNs={"pedall": PEDALL},
    )
    assert {row[0] for row in select_rows(rows)} == {PATIENT["kmt2a-aff1"]}


def test_genes_are_inferred_from_the_lesion(closed_patients: Graph) -> None:
    patient = PATIENT["kmt2a-aff1"]
    lesion = lesion_of(closed_patients, patient)
    genes = {PEDALL["gene-KMT2A"], PEDALL["gene-AFF1"]}
    assert set(closed_patients.objects(lesion, PEDALL.involvesGene)) == genes
    assert set(closed_patients.objects(patient, PEDALL.hasAffectedGene)) == genes


def test_evidence_links_are_inferred_in_both_directions(knowledge_base: KnowledgeBase) -> None:
    inferred = knowledge_base.inferred
    criterion = PEDALL["CMCP-ALL2008-high-kmt2a"]
    assert (criterion, PEDALL.hasEvidence, PEDALL["ev-kmt2a-adverse"]) not in knowledge_base.graph
    assert (criterion, PEDALL.hasEvidence, PEDALL["ev-kmt2a-adverse"]) in inferred


def test_lesion_hierarchy_is_closed_transitively(knowledge_base: KnowledgeBase) -> None:
    inferred = knowledge_base.inferred
    assert (PEDALL["PDGFRB-rearrangement"], RDFS.subClassOf, PEDALL.GeneticLesion) in inferred
    assert (
        PEDALL["PDGFRB-rearrangement"],
        RDFS.subClassOf,
        PEDALL.GeneticLesion,
    ) not in knowledge_base.graph


def test_closure_of_patients_and_ontology_has_no_contradiction(closed_patients: Graph) -> None:
    assert list(closed_patients.subjects(RDF.type, OWL.Nothing)) == []
