"""The sections, table and figure of the review, as the graph names them in pedall:section."""

from __future__ import annotations

REVIEW_SECTIONS = [
    "Introduction",
    "Prognostic factors, 1. Age and WBC count",
    "Prognostic factors, 2. Immunophenotype",
    "Prognostic factors, 3. Genetic factors",
    "Prognostic factors, 4. Response to treatment",
    "Outline of treatment, 1. Remission induction",
    "Outline of treatment, 2. Consolidation and intensification",
    "Outline of treatment, 3. Maintenance therapy",
    "Outline of treatment, 4. Allogeneic HCT in first CR",
    "Table 1",
    "Fig. 1",
    "Treatment of specific subgroups, 1. Ph+ ALL",
    "Treatment of specific subgroups, 2. Infant ALL",
    "Treatment of specific subgroups, 3. Adolescents and young adults",
    "Treatment of specific subgroups, 4. ALL patients with Down syndrome",
    "Relapsed ALL",
    "Relapsed ALL, 1. Blinatumomab",
    "Relapsed ALL, 2. Chimeric antigen receptor (CAR) T cells",
    "Long-term effects of treatment",
    "Conclusions",
]
