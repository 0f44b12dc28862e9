"""A complete patient row shared by the tests that build patient tables from it."""

from __future__ import annotations

# A B-lineage patient with every field known, in the contract's column order (patient_id
# aside): age 5, WBC 20,000/uL, good prephase response, MRD negative, remission, 46
# chromosomes, no lesion: standard risk. Tests change the cells they are about.
COMPLETE_PATIENT = {
    "sex": "M",
    "age_years": "5",
    "wbc_per_ul": "20000",
    "immunophenotype": "B",
    "cns_status": "CNS1",
    "testicular_involvement": "false",
    "prephase_blasts_per_ul": "500",
    "mrd_eoi_percent": "0.001",
    "cr_after_induction": "true",
    "chromosome_count": "46",
    "lesions": "",
    "down_syndrome": "false",
}
