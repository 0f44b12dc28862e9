"""Write classifications as a FHIR R4 Bundle of mCODE ALL risk-assessment Observations.

One ``Observation`` per patient and risk scheme, conforming to mCODE STU4
ALLRiskAssessment: ``meta.profile`` the profile, ``code`` NCIt C167435, ``subject``
``Patient/{patient_id}``, ``status`` ``final`` (``preliminary`` when the scheme's group is
provisional), ``method`` the scheme, ``valueCodeableConcept`` pedall's group coding plus the
NCIt codes the ontology maps the group to with ``skos:exactMatch`` (``fhir-mapping.ttl``;
the binding is extensible, so a group without one carries pedall's coding only). A scheme
whose group the data do not settle has no value but ``dataAbsentReason`` ``unknown``.
The possible groups, the missing fields and each criterion met (with its source and
section) ride along as ``note`` entries, in that order. The input's located issues come
first, as one ``OperationOutcome`` (``expression`` the column or JSON path).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from rdflib import SKOS, Graph, URIRef

from pedall.classify.result import Classification, CriterionHit
from pedall.classify.schemes import Scheme, Schemes, read_schemes
from pedall.errors import PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL

MCODE_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-ALL-risk-assessment"
NCIT_SYSTEM = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
ALL_RISK_ASSESSMENT = "C167435"
NCIT_IRI = "http://purl.obolibrary.org/obo/NCIT_"
PEDALL_SYSTEM = str(PEDALL)
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
MEDIA_TYPE = "application/fhir+json"
_ENTRY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PEDALL_SYSTEM)

Json = dict[str, object]


def results_fhir(
    results: Sequence[Classification],
    schemes: Schemes,
    graph: Graph,
    issues: Sequence[PatientIssue] = (),
) -> Json:
    """The FHIR R4 ``Bundle`` (type ``collection``) of every result, scheme by scheme, and
    an ``OperationOutcome`` with the located issues of the input when there were any."""
    entries: list[Json] = []
    if issues:
        key = "|".join(f"{issue.source}|{issue.line}|{issue.column}" for issue in issues)
        outcome = {"resourceType": "OperationOutcome", "issue": [_issue(i) for i in issues]}
        entries.append(
            {"fullUrl": f"urn:uuid:{uuid.uuid5(_ENTRY_NAMESPACE, key)}", "resource": outcome}
        )
    for result in results:
        for scheme, group, provisional in _groups(result, schemes):
            observation = _observation(result, scheme, group, provisional, graph)
            key = f"{result.source}|{result.patient_id}|{scheme.iri}"
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{uuid.uuid5(_ENTRY_NAMESPACE, key)}",
                    "resource": observation,
                }
            )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _issue(issue: PatientIssue) -> Json:
    where = ", ".join(
        part
        for part in (
            issue.source or "",
            "" if issue.line is None else f"line {issue.line}",
            issue.node or "",
            f"patient {issue.patient_id}" if issue.patient_id else "",
            f"value {issue.value!r}" if issue.value is not None else "",
        )
        if part
    )
    answer: Json = {
        "severity": "error" if issue.is_error else "warning",
        "code": "invalid",
        "diagnostics": f"{where}: {issue.message}" if where else issue.message,
    }
    if issue.column:
        answer["expression"] = [issue.column]
    return answer


def _groups(result: Classification, schemes: Schemes) -> list[tuple[Scheme, str | None, bool]]:
    """Per scheme, in report order: the group certain from what is known (None: not
    settled), provisional."""
    outcome = result.outcome
    return [
        (schemes.primary, outcome.risk_group, outcome.provisional),
        *((schemes.by_key(key), code, code is None) for key, code in outcome.others),
    ]


def _observation(
    result: Classification, scheme: Scheme, code: str | None, provisional: bool, graph: Graph
) -> Json:
    observation: Json = {
        "resourceType": "Observation",
        "meta": {"profile": [MCODE_PROFILE]},
        "status": "preliminary" if provisional else "final",
        "code": {"coding": [{"system": NCIT_SYSTEM, "code": ALL_RISK_ASSESSMENT}]},
        "subject": {"reference": f"Patient/{result.patient_id}"},
        "method": {
            "coding": [
                {"system": PEDALL_SYSTEM, "code": _local(scheme.iri), "display": scheme.label}
            ],
            "text": scheme.label,
        },
    }
    if code is None:
        observation["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "unknown"}]}
    else:
        group = scheme.group(code)
        coding: list[Json] = [
            {"system": PEDALL_SYSTEM, "code": _local(group.iri), "display": group.label}
        ]
        coding += [{"system": NCIT_SYSTEM, "code": ncit} for ncit in _ncit_codes(graph, group.iri)]
        observation["valueCodeableConcept"] = {"coding": coding, "text": group.label}
    notes = _notes(result, scheme)
    if notes:
        observation["note"] = [{"text": text} for text in notes]
    return observation


def _notes(result: Classification, scheme: Scheme) -> list[str]:
    outcome = result.outcome
    notes: list[str] = []
    if scheme.primary and outcome.provisional:
        notes.append("possible groups: " + ", ".join(outcome.possible_groups))
    if scheme.primary and outcome.missing:
        notes.append("missing: " + ", ".join(outcome.missing))
    if scheme.primary:
        notes += ["would decide it: " + deciding.as_text() for deciding in outcome.deciding]
    in_scheme = {criterion.iri for criterion in scheme.criteria}
    notes += [_criterion_note(hit) for hit in outcome.criteria if hit.iri in in_scheme]
    return notes


def _criterion_note(hit: CriterionHit) -> str:
    sources = ", ".join(hit.sources)
    return f"criterion met: {hit.label} ({hit.group}; {hit.iri}; source {sources}, {hit.section})"


def _ncit_codes(graph: Graph, group: str) -> list[str]:
    return sorted(
        str(target).removeprefix(NCIT_IRI)
        for target in graph.objects(URIRef(group), SKOS.exactMatch)
        if str(target).startswith(NCIT_IRI)
    )


def _local(iri: str) -> str:
    return iri.removeprefix(PEDALL_SYSTEM)


def fhir_bundle(
    kb: KnowledgeBase, results: Sequence[Classification], issues: Sequence[PatientIssue] = ()
) -> Json:
    """``results_fhir`` with the schemes and mappings of a knowledge base."""
    return results_fhir(results, read_schemes(kb.graph), kb.graph, issues)


def fhir_text(document: Json) -> str:
    """A FHIR resource as JSON text (no extra members: the research notice goes elsewhere)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
