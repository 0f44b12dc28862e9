"""A deterministic generator of realistic, synthetic pediatric ALL cohorts as CSV patient
tables, for the benchmarks and the tests (differential, streaming, upload bounds).

The rows are synthetic: nobody's data. Where the review gives a frequency the generator
uses it (T-lineage 10-15 %, Ph+ about 3 %, KMT2A rearrangement in about 75 % of infants,
NOTCH1 mutation in over half of T-ALL); the other proportions below are plausible
placeholders chosen for the benchmark, not figures from the review, and the generator
makes no clinical claim. The same seed always gives the same table.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

COLUMNS = (
    "patient_id",
    "sex",
    "age_years",
    "wbc_per_ul",
    "immunophenotype",
    "cns_status",
    "testicular_involvement",
    "prephase_blasts_per_ul",
    "mrd_eoi_percent",
    "cr_after_induction",
    "chromosome_count",
    "lesions",
    "down_syndrome",
)
# Fields that may be left empty at random (not known); patient_id is always present.
OPTIONAL_COLUMNS = COLUMNS[1:]


@dataclass(frozen=True)
class CohortProfile:
    """The proportions the generator draws from (fractions of patients)."""

    t_lineage: float = 0.15  # review: 10-15 % of patients have T-ALL
    ph_positive: float = 0.03  # review: Ph+ incidence of 3 % (MRC ALL97/99), of all patients
    infant: float = 0.04  # placeholder
    kmt2a_in_infants: float = 0.75  # review: about 75 % of infant ALL
    notch1_in_t: float = 0.55  # review: over 50 % of T-ALL
    etv6_runx1_in_b: float = 0.22  # placeholder
    high_hyperdiploid_in_b: float = 0.22  # placeholder
    tcf3_pbx1_in_b: float = 0.04  # placeholder
    tcf3_hlf_in_b: float = 0.005  # placeholder ("rare" in the review)
    iamp21_in_b: float = 0.02  # placeholder
    ikzf1_in_b: float = 0.12  # placeholder
    ph_like_in_b: float = 0.05  # placeholder
    hypodiploid: float = 0.06  # placeholder (most of them with 45 chromosomes)
    down_syndrome: float = 0.02  # placeholder
    cns3: float = 0.04  # placeholder
    cns2: float = 0.10  # placeholder
    poor_prephase: float = 0.10  # placeholder
    mrd_positive: float = 0.25  # placeholder
    no_remission: float = 0.02  # placeholder
    missing_cell: float = 0.03  # each optional cell empty with this probability
    mrd_not_measured: float = 0.08  # MRD is often not measured (yet)


KMT2A_PARTNERS = ("t(4;11)", "MLL-AF4", "MLL-AF9", "KMT2A-MLLT1", "MLL-AF10", "MLL-r")
PH_LIKE_SUBTYPES = ("Ph-like", "ABL1-r", "PDGFRB rearrangement", "JAK2-r", "CRLF2-r", "EPOR-r")


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _age(rng: random.Random, profile: CohortProfile) -> float:
    if rng.random() < profile.infant:
        return round(rng.uniform(0.05, 0.99), 2)
    if rng.random() < 0.65:
        return round(rng.triangular(1.0, 9.99, 3.5), 2)
    return round(rng.uniform(10.0, 18.0), 2)


def _lesions(rng: random.Random, profile: CohortProfile, t_cell: bool, infant: bool) -> list[str]:
    found: list[str] = []
    if t_cell:
        if rng.random() < profile.notch1_in_t:
            found.append("NOTCH1 mutation")
        if rng.random() < 0.04:
            found.append("FLT3 mutation")
        return found
    if infant and rng.random() < profile.kmt2a_in_infants:
        return [rng.choice(KMT2A_PARTNERS)]
    draw = rng.random()
    ph_in_b = profile.ph_positive / (1 - profile.t_lineage)  # 3 % of all patients
    if draw < ph_in_b:
        found.append(rng.choice(("BCR-ABL1", "Ph+", "t(9;22)")))
    elif draw < ph_in_b + profile.etv6_runx1_in_b:
        found.append(rng.choice(("ETV6-RUNX1", "t(12;21)", "TEL-AML1")))
    elif draw < ph_in_b + profile.etv6_runx1_in_b + profile.tcf3_pbx1_in_b:
        found.append(rng.choice(("TCF3-PBX1", "E2A-PBX1")))
    elif rng.random() < 0.02:
        found.append(rng.choice(KMT2A_PARTNERS))
    elif rng.random() < profile.tcf3_hlf_in_b:
        found.append("TCF3-HLF")
    elif rng.random() < profile.ph_like_in_b:
        found.append(rng.choice(PH_LIKE_SUBTYPES))
    if rng.random() < profile.iamp21_in_b:
        found.append("iAMP21")
    if rng.random() < profile.ikzf1_in_b:
        found.append("IKZF1 deletion")
    return found


def _chromosomes(rng: random.Random, profile: CohortProfile, t_cell: bool) -> int:
    if not t_cell and rng.random() < profile.high_hyperdiploid_in_b:
        return rng.randint(51, 67)
    if rng.random() < profile.hypodiploid:
        draw = rng.random()
        if draw < 0.7:
            return 45
        if draw < 0.8:
            return rng.randint(40, 44)
        if draw < 0.9:
            return rng.randint(32, 39)
        return rng.randint(24, 31)
    return rng.choice((46, 46, 46, 47, 48))


def patient_row(rng: random.Random, number: int, profile: CohortProfile) -> dict[str, str]:
    """One synthetic patient as CSV cells (empty string: not known)."""
    t_cell = rng.random() < profile.t_lineage
    age = _age(rng, profile)
    sex = rng.choice("MF")
    wbc = _lognormal(rng, 30_000 if t_cell else 10_000, 1.4)
    cns = rng.random()
    mrd = (
        round(_lognormal(rng, 0.1, 1.5), 3)
        if rng.random() < profile.mrd_positive
        else rng.choice((0.0, 0.001, 0.005, 0.01))
    )
    prephase = _lognormal(rng, 80, 2.0)
    if rng.random() < profile.poor_prephase:
        prephase = rng.uniform(1_000, 20_000)
    row = {
        "patient_id": f"P{number:07d}",
        "sex": sex,
        "age_years": f"{age:g}",
        "wbc_per_ul": str(min(int(wbc), 900_000)),
        "immunophenotype": "T" if t_cell else "B",
        "cns_status": "CNS3" if cns < profile.cns3 else "CNS2" if cns < profile.cns2 else "CNS1",
        "testicular_involvement": str(sex == "M" and rng.random() < 0.02).lower(),
        "prephase_blasts_per_ul": str(int(prephase)),
        "mrd_eoi_percent": f"{mrd:g}",
        "cr_after_induction": str(rng.random() >= profile.no_remission).lower(),
        "chromosome_count": str(_chromosomes(rng, profile, t_cell)),
        "lesions": ";".join(_lesions(rng, profile, t_cell, age < 1)),
        "down_syndrome": str(rng.random() < profile.down_syndrome).lower(),
    }
    if rng.random() < profile.mrd_not_measured:
        row["mrd_eoi_percent"] = ""
    for column in OPTIONAL_COLUMNS:
        if rng.random() < profile.missing_cell:
            row[column] = ""
    return row


def patient_rows(
    count: int, seed: int = 2017, profile: CohortProfile | None = None
) -> Iterator[dict[str, str]]:
    """``count`` synthetic patients, one at a time (the same seed gives the same rows)."""
    rng = random.Random(seed)
    profile = profile or CohortProfile()
    for number in range(1, count + 1):
        yield patient_row(rng, number, profile)


def write_cohort(
    out: TextIO, count: int, seed: int = 2017, profile: CohortProfile | None = None
) -> None:
    """Write a synthetic cohort as a CSV patient table (streamed, row by row)."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in patient_rows(count, seed, profile):
        writer.writerow(row)


def cohort_csv(count: int, seed: int = 2017, profile: CohortProfile | None = None) -> str:
    """A synthetic cohort as CSV text (for small cohorts; large ones: ``write_cohort``)."""
    out = io.StringIO()
    write_cohort(out, count, seed, profile)
    return out.getvalue()


def write_cohort_file(path: Path, count: int, seed: int = 2017) -> Path:
    """Write a synthetic cohort to ``path`` and return it."""
    with path.open("w", encoding="utf-8", newline="") as out:
        write_cohort(out, count, seed)
    return path
