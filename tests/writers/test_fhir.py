"""FHIR out: the Bundle of mCODE ALL risk-assessment Observations parses with a maintained
FHIR model library (fhir.resources, R4B) and carries the profile's fixed values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from pedall.api import classify_input
from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.service.app import create_app
from pedall.service.settings import ServiceSettings
from pedall.writers.fhir import fhir_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-ALL-risk-assessment"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
HEADER = (
    "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,testicular_involvement,"
    "prephase_blasts_per_ul,mrd_eoi_percent,cr_after_induction,chromosome_count,lesions,"
    "down_syndrome\n"
)
# S1: every field known, NCI standard. S2: remission not known (provisional), age 12 (NCI
# high).
# T1: T-lineage (NCI/Rome not applicable). X1: a bad cell.
TABLE = HEADER + (
    "S1,M,5,20000,B,CNS1,false,500,0.001,true,46,,false\n"
    "S2,F,12,20000,B,CNS1,false,500,0.001,,46,,false\n"
    "T1,M,5,20000,T,CNS1,false,500,0.001,true,46,,false\n"
    "X1,M,five,20000,B,CNS1,false,500,0.001,true,46,,false\n"
)


@pytest.fixture(scope="module")
def bundle(knowledge_base: KnowledgeBase) -> Bundle:
    outcome = classify_input(knowledge_base, TABLE.encode(), "text/csv", source="t.csv")
    return Bundle.model_validate(fhir_bundle(knowledge_base, outcome.results, outcome.issues))


def observations(bundle: Bundle) -> dict[tuple[str, str], Observation]:
    found = {}
    for entry in bundle.entry or []:
        resource = entry.resource
        if isinstance(resource, Observation):
            assert resource.subject is not None and resource.method is not None
            found[(str(resource.subject.reference), str(resource.method.text))] = resource
    return found


def codes(observation: Observation) -> set[tuple[str, str]]:
    value = observation.valueCodeableConcept
    assert value is not None
    return {(str(c.system), str(c.code)) for c in value.coding or []}


def test_bundle_is_a_collection_of_one_observation_per_patient_and_scheme(bundle: Bundle) -> None:
    assert bundle.type == "collection"
    found = observations(bundle)
    assert len(found) == 6
    assert {subject for subject, _ in found} == {"Patient/S1", "Patient/S2", "Patient/T1"}


def test_observations_carry_the_profile_fixed_values(bundle: Bundle) -> None:
    for observation in observations(bundle).values():
        assert observation.meta is not None
        assert observation.meta.profile == [PROFILE]
        [coding] = observation.code.coding or []
        assert (coding.system, coding.code) == (NCIT, "C167435")


def test_status_follows_provisional(bundle: Bundle) -> None:
    found = observations(bundle)
    cmcp = {subject: obs for (subject, method), obs in found.items() if "CMCP" in method}
    assert cmcp["Patient/S1"].status == "final"
    assert cmcp["Patient/S2"].status == "preliminary"
    notes = [str(note.text) for note in cmcp["Patient/S2"].note or []]
    assert any(note.startswith("possible groups: ") for note in notes)
    assert any("cr_after_induction" in note for note in notes)


def test_nci_rome_groups_carry_the_ncit_codes_from_the_ontology(bundle: Bundle) -> None:
    found = observations(bundle)
    nci = {subject: obs for (subject, method), obs in found.items() if "CMCP" not in method}
    assert (NCIT, "C122457") in codes(nci["Patient/S1"])
    assert (NCIT, "C122458") in codes(nci["Patient/S2"])
    not_applicable = codes(nci["Patient/T1"])
    assert not_applicable and all(system != NCIT for system, _ in not_applicable)
    cmcp = {subject: obs for (subject, method), obs in found.items() if "CMCP" in method}
    assert all(system != NCIT for system, _ in codes(cmcp["Patient/S1"]))


def test_criteria_met_ride_along_as_notes_with_their_source(bundle: Bundle) -> None:
    found = observations(bundle)
    s1 = next(obs for (subject, method), obs in found.items() if subject == "Patient/S1")
    notes = [str(note.text) for note in s1.note or []]
    assert any(n.startswith("criterion met: ") and "10.3345/kjp.2017.60.5.129" in n for n in notes)


def test_input_issues_are_an_operation_outcome(bundle: Bundle) -> None:
    outcomes = [e.resource for e in bundle.entry or [] if isinstance(e.resource, OperationOutcome)]
    [outcome] = outcomes
    [issue] = outcome.issue
    assert issue.severity == "error"
    assert issue.expression == ["age_years"]
    assert "five" in str(issue.diagnostics)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServiceSettings(workers=1)), base_url="http://127.0.0.1") as c:
        yield c


def test_post_classify_answers_fhir_on_accept(client: TestClient) -> None:
    headers = {"Content-Type": "text/csv", "Accept": "application/fhir+json"}
    response = client.post("/classify", content=TABLE.encode(), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/fhir+json")
    answer = Bundle.model_validate(response.json())
    assert len(observations(answer)) == 6
    plain = client.post("/classify", content=TABLE.encode(), headers={"Content-Type": "text/csv"})
    assert plain.headers["content-type"].startswith("application/json")
    assert "results" in plain.json()


def test_cli_round_trip_from_the_example_phenopackets() -> None:
    examples = sorted(str(p) for p in EXAMPLES.glob("phenopacket-*.json"))
    assert len(examples) == 3
    result = CliRunner().invoke(main, ["classify", *examples, "--format", "fhir"])
    assert result.exit_code == 0, result.output
    answer = Bundle.model_validate(json.loads(result.stdout))
    found = observations(answer)
    assert {subject for subject, _ in found} == {"Patient/PP01", "Patient/PP02", "Patient/PP03"}
    pending = {m: o for (s, m), o in found.items() if s == "Patient/PP02" and "CMCP" in m}
    [observation] = pending.values()
    assert observation.status == "preliminary"
    assert any("lesions" in str(note.text) for note in observation.note or [])
