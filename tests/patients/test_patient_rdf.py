"""Patient graphs in Turtle and JSON-LD: the same records as the CSV table, located issues
naming the node, lesions as classes, CSF findings, and no network."""

from __future__ import annotations

import json
import re
import socket

import pytest
from rdflib import URIRef

from pedall.api import classify_input, read_input
from pedall.errors import InputFormatError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.readers.csv_table import ReadResult
from pedall.patients.readers.jsonld_guard import refuse_remote_contexts
from pedall.toolkit import toolkit

PREFIXES = """\
@prefix pedall: <https://w3id.org/pedall/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
"""


def read_turtle(kb: KnowledgeBase, body: str) -> ReadResult:
    return read_input(kb, (PREFIXES + body).encode(), "text/turtle", "patients.ttl")


def test_a_turtle_patient_reads_like_the_same_csv_row(knowledge_base: KnowledgeBase) -> None:
    turtle = read_turtle(
        knowledge_base,
        """
        ex:p1 a pedall:Patient ;
            pedall:patientId "P1" ;
            pedall:sex pedall:Male ;
            pedall:ageYears 4.5 ;
            pedall:wbcPerMicroliter 12000 ;
            pedall:immunophenotype pedall:PrecursorBCell ;
            pedall:testicularInvolvement false ;
            pedall:chromosomeCount 46 ;
            pedall:mrdEndOfInductionPercent "0.02"^^xsd:double ;
            pedall:hasLesion pedall:ETV6-RUNX1 .
        """,
    )
    csv = read_input(
        knowledge_base,
        b"patient_id,sex,age_years,wbc_per_ul,immunophenotype,testicular_involvement,"
        b"chromosome_count,mrd_eoi_percent,lesions\nP1,M,4.5,12000,B,false,46,0.02,TEL-AML1\n",
        "text/csv",
        "patients.csv",
    )
    assert turtle.issues == [] and csv.issues == []
    (from_turtle,) = turtle.records
    (from_csv,) = csv.records
    assert from_turtle.values == from_csv.values
    assert from_turtle.lesions == from_csv.lesions
    assert from_turtle.node == "http://example.org/p1"
    assert from_turtle.line is None
    assert from_turtle.source == "patients.ttl"


@pytest.mark.parametrize(
    "lesion",
    [
        "pedall:KMT2A-AFF1",
        "[ a pedall:KMT2A-AFF1 ]",
        "ex:finding1 . ex:finding1 a pedall:KMT2A-AFF1",
        '"MLL-AF4"',
        '"t(4;11)"@en',
    ],
)
def test_a_lesion_is_a_class_a_typed_node_or_a_code(
    knowledge_base: KnowledgeBase, lesion: str
) -> None:
    result = read_turtle(
        knowledge_base,
        f'ex:p1 a pedall:Patient ; pedall:patientId "P1" ; pedall:hasLesion {lesion} .',
    )
    assert result.issues == []
    assert result.records[0].lesions == (str(PEDALL["KMT2A-AFF1"]),)


@pytest.mark.parametrize(
    ("triples", "column", "value", "hint"),
    [
        ('pedall:ageYears "abc"^^xsd:decimal', "age_years", "abc", "a number"),
        ('pedall:ageYears "5"', "age_years", "5", "a number"),
        ("pedall:ageYears ex:five", "age_years", "<http://example.org/five>", "a number"),
        ("pedall:chromosomeCount 46.5", "chromosome_count", "46.5", "a whole number"),
        ('pedall:testicularInvolvement "yes"', "testicular_involvement", "yes", "true or false"),
        ('pedall:sex "M"', "sex", "M", "<https://w3id.org/pedall/Male>"),
        ("pedall:immunophenotype pedall:CNS3", "immunophenotype", None, "PrecursorBCell"),
        ("pedall:ageYears 4, 5", "age_years", "4, 5", "one value"),
        ('pedall:hasLesion "MLLL"', "lesions", "MLLL", "did you mean 'MLL'"),
        ("pedall:hasLesion ex:mystery", "lesions", None, "neither a lesion class"),
        ("pedall:csfBlastsSeen 1.5", "csfBlastsSeen", "1.5", "true or false"),
    ],
)
def test_a_wrong_value_is_an_issue_naming_node_field_and_value(
    knowledge_base: KnowledgeBase, triples: str, column: str, value: str | None, hint: str
) -> None:
    result = read_turtle(
        knowledge_base,
        f'ex:bad a pedall:Patient ; pedall:patientId "BAD" ; {triples} .\n'
        'ex:good a pedall:Patient ; pedall:patientId "GOOD" ; pedall:ageYears 5 .',
    )
    (issue,) = result.issues
    assert issue.node == "http://example.org/bad"
    assert issue.patient_id == "BAD"
    assert issue.column == column
    assert issue.line is None
    if value is not None:
        assert issue.value == value
    assert hint in issue.message
    assert [r.patient_id for r in result.records] == ["GOOD"]


def test_patient_ids_are_required_and_unique(knowledge_base: KnowledgeBase) -> None:
    result = read_turtle(
        knowledge_base,
        """
        ex:a a pedall:Patient ; pedall:ageYears 5 .
        ex:b a pedall:Patient ; pedall:patientId "P1" .
        ex:c a pedall:Patient ; pedall:patientId "P1" .
        ex:d a pedall:Patient ; pedall:patientId "  " .
        ex:e a pedall:Patient ; pedall:patientId 7 .
        ex:f a pedall:Patient ; pedall:patientId "P2", "P3" .
        ex:notapatient pedall:patientId "P9" .
        """,
    )
    assert [(i.node, i.column) for i in result.issues] == [
        ("http://example.org/a", "patient_id"),
        ("http://example.org/c", "patient_id"),
        ("http://example.org/d", "patient_id"),
        ("http://example.org/e", "patient_id"),
        ("http://example.org/f", "patient_id"),
    ]
    assert "<http://example.org/a>" in result.issues[0].message
    assert "<http://example.org/b>" in result.issues[1].message
    assert [r.patient_id for r in result.records] == ["P1"]


def test_a_blank_node_patient_is_named_in_issues(knowledge_base: KnowledgeBase) -> None:
    result = read_turtle(knowledge_base, "[] a pedall:Patient ; pedall:ageYears 5 .")
    (issue,) = result.issues
    assert issue.node is not None and issue.node.startswith("_:")


def test_csf_findings_derive_cns3_by_the_shapes(knowledge_base: KnowledgeBase) -> None:
    body = """
        ex:p{n} a pedall:Patient ; pedall:patientId "P{n}" ;
            pedall:ageYears 5 ; pedall:wbcPerMicroliter 10000 ;
            pedall:immunophenotype pedall:PrecursorBCell ; pedall:testicularInvolvement false ;
            pedall:prephaseBlastsPerMicroliter 100 ; pedall:mrdEndOfInductionPercent 0.001 ;
            pedall:completeRemissionAfterInduction true ; pedall:chromosomeCount 46 ;
            pedall:csfWbcPerMicroliter {wbc} ; pedall:csfBlastsSeen {blasts} .
    """
    turtle = PREFIXES + "".join(
        body.format(n=n, wbc=wbc, blasts=blasts)
        for n, (wbc, blasts) in enumerate([(5, "true"), (4, "true"), (50, "false")])
    )
    outcome = classify_input(knowledge_base, turtle.encode(), "text/turtle")
    assert outcome.errors == []
    by_id = {r.patient_id: r.outcome for r in outcome.results}
    assert by_id["P0"].risk_group == "high"
    assert "CMCP-ALL2008-high-cns-testis" in {c.id for c in by_id["P0"].criteria}
    assert by_id["P0"].provisional is False
    # Without CNS3 from the CSF, the CNS status is still unknown: standard or high.
    for pid in ("P1", "P2"):
        assert by_id[pid].possible_groups == ("standard", "high")
        assert by_id[pid].missing == ("cns_status",)


def test_a_malformed_turtle_file_is_an_input_format_error_with_its_line(
    knowledge_base: KnowledgeBase,
) -> None:
    body = 'ex:p1 a pedall:Patient ;\n  pedall:patientId "P1" ;\n  pedall:ageYears 5 ,, .\n'
    with pytest.raises(InputFormatError, match="not valid Turtle") as caught:
        read_turtle(knowledge_base, body)
    assert caught.value.line == PREFIXES.count("\n") + 3
    assert "patients.ttl" in str(caught.value)


JSON_LD_PATIENT = {
    "@context": {
        "pedall": "https://w3id.org/pedall/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "age": {"@id": "pedall:ageYears", "@type": "xsd:decimal"},
    },
    "@graph": [
        {
            "@id": "http://example.org/p1",
            "@type": "pedall:Patient",
            "pedall:patientId": "J1",
            "age": "16",
            "pedall:immunophenotype": {"@id": "pedall:TCell"},
            "pedall:hasLesion": {"@id": "pedall:BCR-ABL1"},
        }
    ],
}


def test_a_json_ld_patient_is_read_and_classified(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(
        knowledge_base, json.dumps(JSON_LD_PATIENT).encode(), "application/ld+json"
    )
    assert outcome.errors == []
    (result,) = outcome.results
    assert (result.patient_id, result.outcome.risk_group) == ("J1", "very-high")
    assert result.outcome.group_in("nci_rome") == "not-applicable"
    read = read_input(
        knowledge_base, json.dumps(JSON_LD_PATIENT).encode(), "application/ld+json", "p.jsonld"
    )
    assert read.records[0].values[str(PEDALL.immunophenotype)] == URIRef(PEDALL.TCell)
    assert read.records[0].values[str(PEDALL.ageYears)] == 16.0


@pytest.mark.parametrize(
    "context",
    [
        "https://schema.org/",
        ["https://example.org/context.jsonld", {"ex": "http://example.org/"}],
        {"@import": "https://example.org/context.jsonld"},
        "context.jsonld",
    ],
)
def test_remote_json_ld_contexts_are_refused_without_a_request(
    knowledge_base: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, context: object
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("pedall tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    document = {"@context": context, "@id": "http://example.org/p", "@type": "pedall:Patient"}
    with pytest.raises(InputFormatError, match="remote JSON-LD context"):
        read_input(knowledge_base, json.dumps(document).encode(), "application/ld+json", "p.jsonld")


def test_a_nested_remote_context_is_refused_too() -> None:
    document = {
        "@context": {"ex": "http://example.org/"},
        "@graph": [{"@context": "https://example.org/other", "@id": "ex:p"}],
    }
    with pytest.raises(InputFormatError, match=re.escape("https://example.org/other")):
        refuse_remote_contexts(json.dumps(document), "p.jsonld")


def test_malformed_json_is_an_input_format_error_with_its_line() -> None:
    with pytest.raises(InputFormatError, match="not valid JSON") as caught:
        refuse_remote_contexts('{\n  "@id": \n}', "p.jsonld")
    assert caught.value.line == 3


def test_rdf_only_fields_come_from_the_ontology_and_shapes(
    knowledge_base: KnowledgeBase,
) -> None:
    fields = toolkit(knowledge_base).rdf_fields.fields
    assert str(PEDALL.csfWbcPerMicroliter) in fields
    assert str(PEDALL.csfBlastsSeen) in fields
    # Classification output, not input: never read from a patient graph.
    assert str(PEDALL.provisionalClassification) not in fields
    assert str(PEDALL.patientId) not in fields


def test_a_blank_node_patient_has_no_node_iri(knowledge_base: KnowledgeBase) -> None:
    result = read_turtle(knowledge_base, '[] a pedall:Patient ; pedall:patientId "B1" .')
    (record,) = result.records
    assert (record.patient_id, record.node) == ("B1", None)


def test_an_undeclared_pedall_property_is_a_warning_with_a_suggestion(
    knowledge_base: KnowledgeBase,
) -> None:
    result = read_turtle(
        knowledge_base,
        'ex:p1 a pedall:Patient ; pedall:patientId "P1" ; pedall:ageyears 5 ;\n'
        "    pedall:assignedRiskGroup pedall:CMCP-ALL2008-low ; ex:note 1 .",
    )
    (warning,) = result.issues
    assert warning.severity == "warning"
    assert warning.value == "<https://w3id.org/pedall/ageyears>"
    assert "did you mean <https://w3id.org/pedall/ageYears>" in warning.message
    # A warning does not stop the patient; the misspelt value is not read.
    (record,) = result.records
    assert record.values == {}
