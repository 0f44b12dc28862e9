"""Copies of the data files for the tests that change them (a threshold, a third scheme),
and the patient rows those tests classify."""

from __future__ import annotations

import shutil
from pathlib import Path

from patient_rows import COMPLETE_PATIENT
from pedall.knowledge.data_files import DATA_KINDS, DataFiles


def patient_csv(**changes: str) -> bytes:
    row = {**COMPLETE_PATIENT, **changes}
    return ("patient_id," + ",".join(row) + "\nP1," + ",".join(row.values()) + "\n").encode()


def copy_data_files(target: Path) -> Path:
    source = DataFiles.default().root
    for kind in DATA_KINDS:
        shutil.copytree(source / kind, target / kind)
    return target


PREFIXES = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX pedall: <https://w3id.org/pedall/>
PREFIX pshape: <https://w3id.org/pedall/shapes/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sh: <http://www.w3.org/ns/shacl#>
"""
# A made-up scheme for the test only: "older" when the age criterion of Table 1's high
# group holds (its condition shape reused), "younger" otherwise (a profile of no conditions).
TOY_SCHEME = (
    PREFIXES
    + """
pedall:Toy a owl:NamedIndividual, pedall:RiskScheme ;
    rdfs:label "Toy scheme"@en ;
    pedall:reportKey "toy_group" ; pedall:reportLabel "Toy" ; pedall:reportOrder 3 .
pedall:Toy-younger a owl:NamedIndividual, pedall:RiskGroup ;
    rdfs:label "Toy younger"@en ; pedall:inScheme pedall:Toy ; pedall:rank 0 ;
    pedall:riskCode "younger" ; pedall:criteriaCombination pedall:AllOf .
pedall:Toy-older a owl:NamedIndividual, pedall:RiskGroup ;
    rdfs:label "Toy older"@en ; pedall:inScheme pedall:Toy ; pedall:rank 1 ;
    pedall:riskCode "older" ; pedall:criteriaCombination pedall:AnyOf .
pedall:Toy-older-age a owl:NamedIndividual, pedall:RiskCriterion ;
    rdfs:label "Toy: age 10 to under 15 years"@en ;
    pedall:assignsGroup pedall:Toy-older ; pedall:inScheme pedall:Toy ;
    pedall:condition pshape:AgeTenToUnderFifteen ; pedall:section "none: a test scheme" .
"""
)
TOY_RULE = (
    PREFIXES
    + """
pshape:Toy-rules a sh:NodeShape ;
    sh:targetClass pedall:Patient ;
    sh:order 10 ;
    sh:rule [
        a sh:TripleRule ;
        sh:condition pshape:AgeTenToUnderFifteen ;
        sh:subject sh:this ;
        sh:predicate pedall:meetsCriterion ;
        sh:object pedall:Toy-older-age ;
        sh:order 10 ;
    ] .
"""
)


TWO_PATIENTS = patient_csv(age_years="12") + b"P2" + patient_csv().split(b"\nP1")[1]
