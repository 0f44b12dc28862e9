"""The benchmark's cohort generator: deterministic, in the contract's columns, readable and
valid, with the proportions the review gives where it gives them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import URIRef

from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import PatientRecord, read_csv
from pedall.patients.readers.lesion_cells import split_lesions
from pedall.testing.cohort import (
    COLUMNS,
    CohortProfile,
    cohort_csv,
    patient_rows,
    write_cohort_file,
)
from pedall.toolkit import toolkit

pytestmark = pytest.mark.slow  # reads and checks 20,000 generated patients

SIZE = 20_000
IMMUNOPHENOTYPE = "https://w3id.org/pedall/immunophenotype"
T_CELL = URIRef("https://w3id.org/pedall/TCell")
PEDALL = "https://w3id.org/pedall/"


@pytest.fixture(scope="module")
def model(knowledge_base: KnowledgeBase) -> PatientModel:
    return toolkit(knowledge_base).model


@pytest.fixture(scope="module")
def records(model: PatientModel) -> list[PatientRecord]:
    read = read_csv(cohort_csv(SIZE), model, "generated.csv")
    assert read.issues == []
    return read.records


def number(record: PatientRecord, name: str) -> float | None:
    """The record's value of the numeric field ``pedall:name``, None when not known."""
    value = record.values.get(PEDALL + name)
    if value is None:
        return None
    assert isinstance(value, int | float), (name, value)
    return value


def share(records: list[PatientRecord], holds: Callable[[PatientRecord], bool]) -> float:
    return sum(1 for r in records if holds(r)) / len(records)


def test_the_same_seed_gives_the_same_cohort(tmp_path: Path) -> None:
    assert cohort_csv(300, seed=4) == cohort_csv(300, seed=4)
    assert cohort_csv(300, seed=4) != cohort_csv(300, seed=5)
    path = write_cohort_file(tmp_path / "c.csv", 300, seed=4)
    assert path.read_text() == cohort_csv(300, seed=4)


def test_the_columns_are_the_contracts(model: PatientModel) -> None:
    # Every contract column but the optional ones (the WBC's other unit, the karyotype and
    # the pending lesions: the generator writes the data as the required columns hold it).
    optional = {"wbc_10e9_per_l", "karyotype", "lesions_pending"}
    assert sorted(COLUMNS) == sorted(c for c in model.columns if c not in optional)
    assert cohort_csv(1).splitlines()[0].split(",") == list(COLUMNS)


def test_every_row_reads_and_has_no_data_quality_error(
    knowledge_base: KnowledgeBase, records: list[PatientRecord]
) -> None:
    assert len(records) == SIZE
    issues = toolkit(knowledge_base).data_quality.check(records[:3_000], "fast")
    assert [i for i in issues if i.severity == "error"] == []


def test_lineage_and_lesions_follow_the_review(records: list[PatientRecord]) -> None:
    t_cell = [r for r in records if r.values.get(IMMUNOPHENOTYPE) == T_CELL]
    assert 0.13 < len(t_cell) / SIZE < 0.17  # 10-15 % T-ALL; 15 % drawn, a few unknown
    assert 0.025 < share(records, lambda r: PEDALL + "BCR-ABL1" in r.lesions) < 0.035
    notch1 = share(t_cell, lambda r: PEDALL + "NOTCH1-mutation" in r.lesions)
    assert notch1 > 0.5
    infants = [r for r in records if (age := number(r, "ageYears")) is not None and age < 1]
    kmt2a = {PEDALL + s for s in ("KMT2A-rearrangement", "KMT2A-AFF1", "KMT2A-MLLT1")} | {
        PEDALL + "KMT2A-MLLT3",
        PEDALL + "KMT2A-MLLT10",
    }
    in_infants = share(infants, lambda r: bool(kmt2a & set(r.lesions)))
    assert 0.6 < in_infants < 0.85  # about 75 % of infant ALL (less the T-ALL infants)
    codes = {code for row in patient_rows(2_000) for code in split_lesions(row["lesions"])}
    assert {"t(12;21)", "t(9;22)", "t(4;11)"} <= codes  # ISCN codes are read whole


def test_ages_wbc_and_missing_values_are_realistic(records: list[PatientRecord]) -> None:
    ages = [age for r in records if (age := number(r, "ageYears")) is not None]
    assert all(0 <= a <= 18 for a in ages)
    assert 0.5 < sum(1 for a in ages if 1 <= a < 10) / len(ages) < 0.75
    wbc = [count for r in records if (count := number(r, "wbcPerMicroliter")) is not None]
    high = sum(1 for w in wbc if w >= 50_000) / len(wbc)
    assert 0.1 < high < 0.35
    columns = [c for c in COLUMNS[1:] if c != "lesions"]  # an empty lesions cell: none found
    cells = [row[c] for row in patient_rows(5_000, seed=9) for c in columns]
    empty = sum(1 for cell in cells if cell == "") / len(cells)
    assert 0.02 < empty < 0.08  # a few per cent (MRD more often)
    assert CohortProfile().missing_cell == pytest.approx(0.03)
