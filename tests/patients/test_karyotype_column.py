"""The ``karyotype`` column: the modal number, the gains and the known rearrangements of an
ISCN karyotype go into ``chromosome_count`` and ``lesions``; ``+21c`` is Down syndrome (as
the ontology's pedall:constitutionalChange says), not a leukaemic trisomy. Both engines."""

from __future__ import annotations

import csv
import io

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.api import classify_input
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.toolkit import toolkit

# Each karyotype a report could write for a Table 1 lesion or ploidy class, on a patient
# otherwise in the standard profile (count and lesions left to the karyotype).
CASES = [
    ("46,XY,t(12;21)(p13;q22)[15]/46,XY[5]", "low", "CMCP-ALL2008-low-genetics"),
    ("54,XY,+4,+6,+10,+14,+17,+18,+21,+21[20]", "low", "CMCP-ALL2008-low-genetics"),
    ("53,XY,+4,+6,+14,+18,+21,+21,+X[20]", "standard", None),  # no trisomy 10 or 17
    ("45,XX,-7,t(9;22)(q34.1;q11.2)[12]/46,XX[8]", "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ("46,XX,der(22)t(9;22)(q34;q11.2)[20]", "very-high", "CMCP-ALL2008-very-high-bcr-abl1"),
    ("46,XX,t(4;11)(q21;q23)[20]", "high", "CMCP-ALL2008-high-kmt2a"),
    ("46,XY,der(19)t(1;19)(q23;p13.3)[20]", "high", "CMCP-ALL2008-high-tcf3-pbx1"),
    ("45,XY,-7[10]/46,XY[10]", "standard", None),  # 45: fares like the rest
    ("44,XY,-7,-9[10]", "very-high", "CMCP-ALL2008-very-high-hypodiploidy"),
    ("35,XY,-2,-3,-4,-7,-9,-12,-13,-15,-16,-17,-20[8]", "very-high", None),
    ("27,X,+10,+14,+18,+21[10]/54,idemx2[5]", "very-high", "CMCP-ALL2008-very-high-hypodiploidy"),
    ("46,XY[20]", "standard", None),
]


def table(*rows: dict[str, str]) -> bytes:
    columns = ["patient_id", *COMPLETE_PATIENT, "karyotype"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        writer.writerow({"patient_id": f"P{number}", **COMPLETE_PATIENT, **row})
    return out.getvalue().encode()


@pytest.fixture(scope="module", params=["fast", "reference"])
def classified(
    knowledge_base: KnowledgeBase, request: pytest.FixtureRequest
) -> list[dict[str, object]]:
    rows = [{"karyotype": k, "chromosome_count": "", "lesions": ""} for k, _, _ in CASES]
    outcome = classify_input(knowledge_base, table(*rows), "text/csv", engine=request.param)
    assert outcome.errors == []
    return [r.as_dict() for r in outcome.results]


@pytest.mark.parametrize(
    ("index", "group", "criterion"),
    [(i, group, criterion) for i, (_, group, criterion) in enumerate(CASES)],
    ids=[karyotype for karyotype, _, _ in CASES],
)
def test_a_karyotype_gives_the_count_and_the_lesions(
    classified: list[dict[str, object]], index: int, group: str, criterion: str | None
) -> None:
    result = classified[index]
    assert result["possible_groups"] == [group]
    if criterion is not None:
        assert criterion in {c["id"] for c in result["criteria"]}  # type: ignore[attr-defined]


def read(kb: KnowledgeBase, *rows: dict[str, str]) -> list[dict[str, object]]:
    return [r.as_dict() for r in classify_input(kb, table(*rows), "text/csv").results]


def test_what_a_karyotype_gives_is_in_the_record(knowledge_base: KnowledgeBase) -> None:
    from pedall.api import read_input

    (record,) = read_input(
        knowledge_base,
        table(
            {
                "karyotype": "47,XY,+21c,t(1;19)(q23;p13)",
                "chromosome_count": "",
                "down_syndrome": "",
            }
        ),
        "text/csv",
        "k.csv",
    ).records
    assert record.values[str(PEDALL.chromosomeCount)] == 47
    assert record.values[str(PEDALL.downSyndrome)] is True
    assert str(PEDALL["TCF3-PBX1"]) in record.lesions
    # +21c is constitutional: not a leukaemic trisomy 21.
    trisomy_21 = toolkit(knowledge_base).model.lesions.resolve("+21")
    assert trisomy_21 is None or trisomy_21 not in record.lesions


def test_a_lesion_found_by_fish_beside_a_normal_karyotype_counts(
    knowledge_base: KnowledgeBase,
) -> None:
    (result,) = read(
        knowledge_base, {"karyotype": "46,XY[20]", "lesions": "ETV6::RUNX1", "chromosome_count": ""}
    )
    assert result["risk_group"] == "low"


@pytest.mark.parametrize(
    ("row", "names"),
    [
        (
            {"karyotype": "54,XY,+4,+6,+10,+14,+17,+18,+21,+21[20]", "chromosome_count": "46"},
            ("chromosome_count = 54", "is 46"),
        ),
        (
            {"karyotype": "47,XY,+21c", "down_syndrome": "false", "chromosome_count": ""},
            ("down_syndrome = true", "is false"),
        ),
        ({"karyotype": "46,XY,foo"}, ("at position 7", "found 'foo'")),
        ({"karyotype": "54,XY,+4", "chromosome_count": ""}, ("does not add up", "54")),
    ],
)
def test_bad_karyotypes_are_located_errors(
    knowledge_base: KnowledgeBase, row: dict[str, str], names: tuple[str, ...]
) -> None:
    outcome = classify_input(knowledge_base, table(row, {}), "text/csv")
    (error,) = outcome.errors
    assert (error.line, error.column, error.value) == (2, "karyotype", row["karyotype"])
    assert all(name in error.message for name in names), error.message
    assert [r.patient_id for r in outcome.results] == ["P2"]  # the other row still classified


def test_a_ploidy_word_must_agree_with_the_karyotype(knowledge_base: KnowledgeBase) -> None:
    outcome = classify_input(
        knowledge_base,
        table({"karyotype": "45,XY,-7[10]", "lesions": "low hypodiploid", "chromosome_count": ""}),
        "text/csv",
    )
    (error,) = outcome.errors
    assert error.column == "chromosome_count" and "32 to 39" in error.message


def test_a_karyotype_in_patient_rdf(knowledge_base: KnowledgeBase) -> None:
    text = (
        "@prefix pedall: <https://w3id.org/pedall/> .\n"
        '<urn:p1> a pedall:Patient ; pedall:patientId "P1" ; pedall:ageYears 5.0 ;\n'
        "  pedall:wbcPerMicroliter 20000.0 ;\n"
        '  pedall:recordedKaryotype "46,XX,t(9;22)(q34;q11.2)" .\n'
    )
    outcome = classify_input(knowledge_base, text.encode(), "text/turtle")
    assert outcome.errors == []
    assert outcome.results[0].as_dict()["risk_group"] == "very-high"
