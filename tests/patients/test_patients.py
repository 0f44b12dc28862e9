"""The CSV patient table reader: values keyed by property, located issues, pass-through."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from pedall.errors import InputFormatError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import ReadResult, read_csv
from pedall.patients.readers.lesion_cells import split_lesions
from pedall.toolkit import toolkit


@pytest.fixture(scope="module")
def model(knowledge_base: KnowledgeBase) -> PatientModel:
    return toolkit(knowledge_base).model


def read(model: PatientModel, text: str) -> ReadResult:
    return read_csv(text, model, "patients.csv")


def test_values_are_keyed_by_property_and_typed(model: PatientModel) -> None:
    text = (
        "patient_id,sex,age_years,wbc_per_ul,immunophenotype,cns_status,"
        "testicular_involvement,chromosome_count,lesions,site\n"
        "P1,m,4.5,12000,B,cns3,TRUE,46,TEL-AML1; t(9;22),Seoul\n"
    )
    result = read(model, text)
    assert result.issues == []
    (record,) = result.records
    assert record.patient_id == "P1"
    assert record.line == 2
    assert record.source == "patients.csv"
    assert record.values == {
        str(PEDALL.sex): URIRef(PEDALL.Male),
        str(PEDALL.ageYears): 4.5,
        str(PEDALL.wbcPerMicroliter): 12000.0,
        str(PEDALL.immunophenotype): URIRef(PEDALL.PrecursorBCell),
        str(PEDALL.cnsStatus): URIRef(PEDALL.CNS3),
        str(PEDALL.testicularInvolvement): True,
        str(PEDALL.chromosomeCount): 46,
    }
    assert record.lesions == (str(PEDALL["ETV6-RUNX1"]), str(PEDALL["BCR-ABL1"]))
    assert record.extra == {"site": "Seoul"}


def test_empty_cells_are_not_known(model: PatientModel) -> None:
    """Empty and white-space cells give no value, read first or remembered (second row)."""
    result = read(model, "patient_id,age_years,wbc_per_ul,lesions\nP1,,  ,\nP2,  ,,\n")
    assert result.issues == []
    assert [r.values for r in result.records] == [{}, {}]
    assert [r.lesions for r in result.records] == [(), ()]


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("age_years", "seven", "a number"),
        ("age_years", "1,5", "a number"),
        ("age_years", "nan", "a number"),
        ("wbc_per_ul", "50_000", "a number"),
        ("chromosome_count", "46.5", "a whole number"),
        ("testicular_involvement", "yes", "true or false"),
        ("sex", "X", "one of F, M"),
        ("immunophenotype", "NK", "one of B, T"),
        ("cns_status", "CNS4", "one of CNS1, CNS2, CNS3"),
    ],
)
def test_a_bad_cell_is_located_and_only_its_row_is_left_out(
    model: PatientModel, column: str, cell: str, expected: str
) -> None:
    text = f'patient_id,{column},lesions\nP1,"{cell}",\nP2,,\n'
    result = read(model, text)
    (issue,) = result.issues
    assert (issue.line, issue.column, issue.value, issue.patient_id) == (2, column, cell, "P1")
    assert expected in issue.message
    assert issue.source == "patients.csv"
    assert [r.patient_id for r in result.records] == ["P2"]


def test_duplicate_and_empty_ids_are_errors(model: PatientModel) -> None:
    result = read(model, "patient_id,age_years,lesions\nP1,5,\n,6,\nP1,7,\nP2,8,\n")
    assert [(i.line, i.column, i.value) for i in result.issues] == [
        (3, "patient_id", ""),
        (4, "patient_id", "P1"),
    ]
    assert "empty" in result.issues[0].message
    assert "first on line 2" in result.issues[1].message
    assert [(r.patient_id, r.line) for r in result.records] == [("P1", 2), ("P2", 5)]


def test_an_unknown_lesion_suggests_the_closest_codes(model: PatientModel) -> None:
    result = read(model, "patient_id,lesions\nP1,ETV6-RUNX;MLL\n")
    (issue,) = [i for i in result.issues if i.is_error]  # MLL: a gene symbol, a warning
    assert (issue.line, issue.column, issue.value) == (2, "lesions", "ETV6-RUNX")
    assert "unknown lesion code 'ETV6-RUNX'" in issue.message
    assert "'ETV6-RUNX1'" in issue.message
    assert result.records == []


def test_lines_count_blank_lines_and_quoted_line_breaks(model: PatientModel) -> None:
    text = 'patient_id,note,age_years,lesions\n\nP1,"two\nlines",5,\nP2,,old,\n'
    result = read(model, text)
    assert [(r.patient_id, r.line) for r in result.records] == [("P1", 3)]
    assert result.issues[0].line == 5


def test_a_row_longer_than_the_header_is_an_error(model: PatientModel) -> None:
    result = read(model, "patient_id,age_years,lesions\nP1,5,,extra\nP2,6,\n")
    assert result.issues[0].line == 2
    assert [r.patient_id for r in result.records] == ["P2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty input"),
        ("age_years\n5\n", "no 'patient_id' column"),
        ("patient_id,age_years,age_years\nP1,5,6\n", "repeated column"),
    ],
)
def test_an_unreadable_table_is_an_input_format_error(
    model: PatientModel, text: str, message: str
) -> None:
    with pytest.raises(InputFormatError, match=message):
        read(model, text)


def test_a_byte_order_mark_is_ignored(model: PatientModel) -> None:
    result = read(model, "\ufeffpatient_id,age_years\nP1,5\n")
    assert result.records[0].values == {str(PEDALL.ageYears): 5.0}


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("t(9;22)", ["t(9;22)"]),
        ("t(9;22);MLL", ["t(9;22)", "MLL"]),
        ("t(9;22)(q34;q11.2); TEL-AML1", ["t(9;22)(q34;q11.2)", " TEL-AML1"]),
        ("a;;b", ["a", "", "b"]),
        ("x)(;y", ["x)(;y"]),
    ],
)
def test_lesion_codes_split_on_semicolons_outside_parentheses(cell: str, codes: list[str]) -> None:
    assert split_lesions(cell) == codes


def test_owl_nothing_is_not_a_lesion_code(knowledge_base: KnowledgeBase) -> None:
    # OWL RL infers owl:Nothing rdfs:subClassOf every class, GeneticLesion included.
    lesions = toolkit(knowledge_base).model.lesions
    assert lesions.resolve("Nothing") is None
    assert all(iri.startswith("https://w3id.org/pedall/") for iri in lesions.display)


def test_a_repeated_cell_is_located_in_each_row_it_is_in(model: PatientModel) -> None:
    """A table repeats its lesion and coded cells: each distinct cell is read once, and
    every row with it still gets its own issues, on its own line and id."""
    text = (
        "patient_id,sex,lesions_pending,lesions\n"
        "P1,F,ETV6-RUNX,MLL\nP2,F,ETV6-RUNX,MLL\nP3,X,,BCR-ABL1\nP4,X,all,BCR-ABL1\n"
    )
    result = read(model, text)
    located = [(i.line, i.patient_id, i.column, i.value, i.severity) for i in result.issues]
    assert located == [
        (2, "P1", "lesions_pending", "ETV6-RUNX", "error"),
        (2, "P1", "lesions", "MLL", "warning"),
        (3, "P2", "lesions_pending", "ETV6-RUNX", "error"),
        (3, "P2", "lesions", "MLL", "warning"),
        (4, "P3", "sex", "X", "error"),
        (5, "P4", "sex", "X", "error"),
    ]
    assert result.issues[0].message == result.issues[2].message
    assert result.records == []
    good = read(model, "patient_id,sex,lesions\nP1,F,BCR-ABL1\nP2,F,BCR-ABL1\n")
    assert [r.lesions for r in good.records] == [good.records[0].lesions] * 2
    assert good.records[0].lesions and good.records[0].values == good.records[1].values


def test_a_number_written_alike_in_two_columns_is_read_as_each_columns_value(
    model: PatientModel,
) -> None:
    """Each field's distinct cells are remembered apart: "46" is a decimal count of blasts
    and an integer count of chromosomes, "46.5" a count of blasts and an error as a
    chromosome count, in every row that has it."""
    text = (
        "patient_id,prephase_blasts_per_ul,chromosome_count\n"
        "P1,46,46\nP2,46,46\nP3,46.5,46.5\nP4,46.5,46.5\n"
    )
    result = read(model, text)
    by_column = model.field_by_column()
    blasts, count = (by_column[c].property for c in ("prephase_blasts_per_ul", "chromosome_count"))
    values = [(r.values[blasts], r.values[count]) for r in result.records]
    assert [tuple(type(v) for v in pair) for pair in values] == [(float, int)] * 2
    assert values == [(46.0, 46)] * 2
    located = [(i.line, i.column, i.value) for i in result.issues if i.is_error]
    assert located == [(4, "chromosome_count", "46.5"), (5, "chromosome_count", "46.5")]
