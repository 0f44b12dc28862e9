"""pedall.query.library: the library's headers and lookup, and one test per competency question."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest

from pedall.errors import DataFileError, UnknownQueryError
from pedall.knowledge.data_files import DataFiles
from pedall.query.library import QueryHeader, find_query, load_library, load_query, parse_header
from pedall.query.sparql import run_query, term_value
from review_sections import REVIEW_SECTIONS

GOOD = """#+ summary: Genes of each lesion
#+ description: Every lesion with the genes it involves.
#+ tags:
#+   - lesions
#+   - genes

PREFIX pedall: <https://w3id.org/pedall/>
SELECT * WHERE { ?s ?p ?o }
"""


def test_header_fields_are_read() -> None:
    assert parse_header(GOOD, "genes.rq") == QueryHeader(
        summary="Genes of each lesion",
        description="Every lesion with the genes it involves.",
        tags=("lesions", "genes"),
    )


def test_inline_tags() -> None:
    text = "#+ summary: s\n#+ description: d\n#+ tags: therapy, drugs\nASK {}"
    assert parse_header(text, "x.rq").tags == ("therapy", "drugs")


def test_values_continue_on_indented_lines() -> None:
    text = "#+ summary: s\n#+ description: first line\n#+   and the second\n#+ tags: x\nASK {}"
    header = parse_header(text, "x.rq")
    assert (header.description, header.tags) == ("first line and the second", ("x",))


def test_header_lines_after_the_query_begins_are_not_header() -> None:
    text = "#+ summary: s\n#+ description: d\nASK {}\n#+ tags: late\n"
    assert parse_header(text, "x.rq").tags == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#+ description: d\nASK {}", "lacks summary"),
        ("#+ summary: s\nASK {}", "lacks description"),
        ("#+ summary: s\n#+ description: d\n#+ sumary: typo\nASK {}", "line 3: expected 'key"),
        ("#+ summary: s\n#+ summary: t\n#+ description: d\nASK {}", "'summary' given twice"),
        ("#+ summary:\n#+ description: d\nASK {}", "'summary' is empty"),
        ("#+ summary: s\n#+   - stray\n#+ description: d\nASK {}", "outside 'tags:'"),
        ("#+   summary: s\n#+ description: d\nASK {}", "line 1: expected 'key"),
        ("#+ tags:\n#+   more text\n#+ summary: s\n#+ description: d\nASK {}", "line 2"),
        ("SELECT * WHERE { ?s ?p ?o }", "lacks summary, description"),
    ],
)
def test_bad_headers_are_data_file_errors(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as caught:
        parse_header(text, "bad.rq")
    assert "bad.rq" in str(caught.value)


def test_load_query_names_it_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "genes-of-lesions.rq"
    path.write_text(GOOD, encoding="utf-8")
    query = load_query(path)
    assert (query.name, query.summary, query.text) == (
        "genes-of-lesions",
        "Genes of each lesion",
        GOOD,
    )


def test_a_users_file_may_lack_a_header_but_a_library_file_may_not(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    assert find_query(str(path), DataFiles.default()).summary == "mine"
    with pytest.raises(DataFileError, match="lacks summary"):
        load_query(path)


def test_library_is_every_rq_file_by_name() -> None:
    files = DataFiles.default()
    names = [query.name for query in load_library(files)]
    assert names == [path.stem for path in files.query_files()]
    assert len(names) >= 12


def test_find_query_by_name() -> None:
    files = DataFiles.default()
    first = load_library(files)[0]
    assert find_query(first.name, files) == first
    assert find_query(first.name + ".rq", files) == first


def test_unknown_name_suggests_the_closest() -> None:
    files = DataFiles.default()
    name = load_library(files)[0].name
    with pytest.raises(UnknownQueryError, match=f"did you mean {name}") as caught:
        find_query(name[:-1] + "x", files)
    assert isinstance(caught.value, LookupError)


def test_missing_file_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownQueryError, match="no query file"):
        find_query(str(tmp_path / "absent.rq"), DataFiles.default())


# One test per competency question, run on the knowledge graph with its inferred triples.

REVIEW = "https://doi.org/10.3345/kjp.2017.60.5.129"
PEDALL = "https://w3id.org/pedall/"


def answer(store: pyoxigraph.Store, name: str) -> list[dict[str, str]]:
    """The rows of the library query ``name`` as {variable: value} (unbound left out)."""
    query = find_query(name, DataFiles.default())
    return [
        {variable: term_value(term) for variable, term in row.items()}
        for row in run_query(store, query.text).bindings()
    ]


def test_every_library_query_runs_and_answers(inferred_store: pyoxigraph.Store) -> None:
    for query in load_library(DataFiles.default()):
        result = run_query(inferred_store, query.text)
        assert result.rows, f"{query.name} returned no rows"


def test_lesions_by_prognostic_effect(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "lesions-by-prognostic-effect")
    pairs = {(row["effect"], row["lesionLabel"]) for row in rows}
    assert {
        ("favourable", "ETV6::RUNX1"),
        ("favourable", "high hyperdiploidy"),
        ("adverse", "BCR::ABL1"),
        ("adverse", "KMT2A rearrangement"),
        ("adverse", "hypodiploidy"),
        ("adverse", "TCF3::HLF"),
        ("no longer adverse", "TCF3::PBX1"),
    } <= pairs
    assert all(row["source"] == REVIEW and row["section"] for row in rows)
    iamp21_figures = [row.get("figures", "") for row in rows if row["lesionLabel"] == "iAMP21"]
    assert any("29" in figures for figures in iamp21_figures)


def test_risk_group_criteria(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "risk-group-criteria")
    by_criterion = {row["criterion"]: row for row in rows}
    bcr_abl1 = by_criterion[PEDALL + "CMCP-ALL2008-very-high-bcr-abl1"]
    assert (bcr_abl1["riskCode"], bcr_abl1["rank"], bcr_abl1["section"]) == (
        "very-high",
        "3",
        "Table 1",
    )
    cmcp = [row for row in rows if row["scheme"].startswith("CMCP-ALL2008")]
    assert [row["riskCode"] for row in cmcp] == sorted(
        (row["riskCode"] for row in cmcp), key=["low", "standard", "high", "very-high"].index
    )
    assert {row["riskCode"] for row in cmcp} == {"low", "standard", "high", "very-high"}
    assert sum(row["riskCode"] == "very-high" for row in cmcp) == 7  # Table 1 lists seven
    assert "BCR-ABL1" in bcr_abl1["evidence"]
    assert sum("evidence" in row for row in rows) > len(rows) / 2
    assert all(row["source"] == REVIEW for row in rows)


def test_targetable_lesions(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "targetable-lesions")
    pairs = {(row["lesionLabel"], row["drugLabel"], row["drugKind"]) for row in rows}
    assert {
        ("BCR::ABL1", "imatinib", "tyrosine kinase inhibitor"),
        ("PDGFRB rearrangement", "imatinib", "tyrosine kinase inhibitor"),  # inherited
        ("JAK2 rearrangement", "ruxolitinib", "JAK inhibitor"),  # inherited
    } <= pairs
    doses = {row.get("dose") for row in rows if row["drugLabel"] == "imatinib"}
    assert any(dose and "340 mg/m2/day" in dose for dose in doses)
    assert not any(row["lesionLabel"] == "ETV6::RUNX1" for row in rows)
    # The review names dasatinib for ABL-class Ph-like lesions, not for Ph+ ALL.
    assert ("BCR::ABL1", "dasatinib", "tyrosine kinase inhibitor") not in pairs


def test_efs_by_risk_group_is_fig_1(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "efs-by-risk-group")
    cmcp = [
        (row["riskCode"], float(row["efsPercent"]), float(row["plusMinus"]), row["section"])
        for row in rows
        if row["scheme"].startswith("CMCP-ALL2008")
    ]
    assert cmcp == [
        ("low", 91.2, 3.7, "Fig. 1"),
        ("standard", 98.1, 1.9, "Fig. 1"),
        ("high", 81.5, 4.3, "Fig. 1"),
        ("very-high", 59.4, 5.3, "Fig. 1"),
    ]


def test_drug_toxicities_and_management(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "drug-toxicities")
    asparaginase = {
        row["adverseEffectLabel"] for row in rows if row["therapyLabel"] == "asparaginase"
    }
    assert {"pancreatitis", "thrombosis", "coagulopathy", "hyperglycemia"} <= asparaginase
    managed = {
        (row["therapyLabel"], row["adverseEffectLabel"]): row.get("management", "") for row in rows
    }
    assert "tocilizumab" in managed["CD19 CAR T cells", "cytokine release syndrome"]
    assert "Erwinia asparaginase" in managed["asparaginase", "asparaginase hypersensitivity"]


def test_hct_in_first_remission_indications(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "hct-indications")
    assert {row["indication"].removeprefix(PEDALL) for row in rows} == {
        "subgroup-induction-failure",
        "subgroup-Ph-positive",
        "subgroup-hypodiploid",
        "subgroup-infant-KMT2A",
    }
    assert all("HCT in first CR" in row["section"] for row in rows)


def test_treatment_phases_in_order(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "treatment-phases")
    phases = [row["phase"].removeprefix(PEDALL) for row in rows]
    assert phases.index("phase-induction") < phases.index("phase-consolidation")
    assert phases.index("phase-consolidation") < phases.index("phase-delayed-intensification")
    assert phases[-1] == "phase-maintenance"
    by_phase = {row["phase"].removeprefix(PEDALL): row for row in rows}
    maintenance = by_phase["phase-maintenance"]
    assert "2 years" in maintenance["duration"]
    assert {"mercaptopurine", "methotrexate"} <= set(maintenance["drugs"].split(", "))
    assert "8 weeks" in by_phase["phase-delayed-intensification"]["duration"]
    induction_drugs = set(by_phase["phase-induction"]["drugs"].split(", "))
    assert {"vincristine", "asparaginase", "daunorubicin"} <= induction_drugs
    assert "intrathecal triple therapy" in by_phase["phase-induction"]["includes"]


def test_genes_of_each_lesion(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "lesion-genes")
    genes: dict[str, set[str]] = {}
    for row in rows:
        genes.setdefault(row["lesionLabel"], set()).add(row["geneSymbol"])
    assert genes["BCR::ABL1"] == {"BCR", "ABL1"}
    assert genes["ETV6::RUNX1"] == {"ETV6", "RUNX1"}
    assert {"KMT2A", "AFF1"} <= genes["KMT2A::AFF1"]  # KMT2A inherited from the parent class
    hgnc = {row["geneSymbol"]: row["hgnc"] for row in rows if "hgnc" in row}
    assert all(re.fullmatch(r"https://identifiers\.org/hgnc:\d+", iri) for iri in hgnc.values())
    # Checked independently of the ontology: HGNC:1014 is BCR and HGNC:76 is ABL1.
    assert (hgnc.get("BCR"), hgnc.get("ABL1")) == (
        "https://identifiers.org/hgnc:1014",
        "https://identifiers.org/hgnc:76",
    )


def test_synonyms_of_one_lesion(inferred_store: pyoxigraph.Store) -> None:
    text = find_query("lesion-synonyms", DataFiles.default()).text
    result = run_query(
        inferred_store, text, bindings={"lesion": pyoxigraph.NamedNode(PEDALL + "KMT2A-AFF1")}
    )
    assert result.column("label") == ["KMT2A::AFF1"]


def test_synonyms_of_lesions(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "lesion-synonyms")
    synonyms = {row["label"]: set(row.get("synonyms", "").split(" | ")) for row in rows}
    assert "MLL-AF4" in synonyms["KMT2A::AFF1"]
    assert {"Ph+", "t(9;22)"} <= synonyms["BCR::ABL1"]
    assert "E2A-PBX1" in synonyms["TCF3::PBX1"]
    karyotypes = {row["label"]: row.get("karyotype") for row in rows}
    assert karyotypes["ETV6::RUNX1"] == "t(12;21)(p13;q22)"


def test_everything_a_source_supports(inferred_store: pyoxigraph.Store) -> None:
    text = find_query("source-supports", DataFiles.default()).text
    review = run_query(inferred_store, text, bindings={"source": pyoxigraph.NamedNode(REVIEW)})
    rows = [
        {variable: term_value(term) for variable, term in row.items()} for row in review.bindings()
    ]
    kinds = {row["item"].removeprefix(PEDALL): row.get("kinds", "") for row in rows}
    assert "outcome figure" in kinds["fig-efs10-low"]
    assert "risk criterion" in kinds["CMCP-ALL2008-very-high-bcr-abl1"]
    assert kinds["BCR-ABL1"] == "class"
    assert all(row["source"] == REVIEW for row in rows)
    unbound = run_query(inferred_store, text)
    assert len(unbound.rows) >= len(review.rows)
    other = pyoxigraph.NamedNode("https://doi.org/10.0000/not-cited")
    assert run_query(inferred_store, text, bindings={"source": other}).rows == ()


def test_relapse_therapies_with_response_rates(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "relapse-therapies")
    therapies = {row["therapyLabel"] for row in rows}
    assert {"blinatumomab", "CD19 CAR T cells"} <= therapies
    remission = {
        (row["therapyLabel"], float(row["value"]), float(row.get("valueMax", row["value"])))
        for row in rows
        if row.get("measure") == "complete remission rate"
    }
    assert ("blinatumomab", 39.0, 39.0) in remission
    assert ("CD19 CAR T cells", 70.0, 90.0) in remission


def test_long_term_effects_and_follow_up(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "long-term-effects")
    by_effect = {row["effect"].removeprefix(PEDALL): row for row in rows}
    assert {"lte-neurocognitive", "lte-endocrine", "lte-cardiac", "lte-osteonecrosis"} <= set(
        by_effect
    )
    assert "cranial irradiation" in by_effect["lte-neurocognitive"]["causedBy"]
    cardiac = by_effect["lte-cardiac"]
    assert "daunorubicin" in cardiac["causedBy"]
    assert cardiac.get("followUp"), "cardiac late effects need periodic evaluation"
    assert "dexrazoxane" in cardiac.get("prevention", "")


def test_prognostic_factors(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "prognostic-factors")
    by_factor = {row["factor"].removeprefix(PEDALL): row for row in rows}
    mrd = by_factor["factor-mrd"]
    assert "flow cytometry" in mrd["methods"]
    assert "end of remission induction" in mrd["timePoints"]
    assert "more than 0.01 percent" in mrd["figures"]
    assert "at least 1000" in by_factor["factor-prephase-response"]["figures"]


def test_subgroups(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "subgroups")
    by_subgroup = {row["subgroup"].removeprefix(PEDALL): row for row in rows}
    assert {
        "subgroup-Ph-positive",
        "subgroup-infant",
        "subgroup-AYA",
        "subgroup-Down-syndrome",
        "subgroup-relapsed",
    } <= set(by_subgroup)
    assert "imatinib" in by_subgroup["subgroup-Ph-positive"]["therapies"]
    assert "blinatumomab" in by_subgroup["subgroup-relapsed"]["therapies"]
    assert int(by_subgroup["subgroup-infant"]["evidenceStatements"]) > 0


def test_outcome_figures(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "outcome-figures")
    infant = [row for row in rows if row["figure"] == PEDALL + "fig-infant-efs4"]
    assert [
        (row["measure"], float(row["value"]), float(row["timepointYears"])) for row in infant
    ] == [("event-free survival", 47.0, 4.0)]
    assert all(row["source"] and row["measure"] for row in rows)


def test_immunophenotype_markers_of_etp_all(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "immunophenotype-markers")
    etp = {
        (row["expression"], row["markerLabel"])
        for row in rows
        if row["phenotype"] == PEDALL + "ETP-ALL"
    }
    assert {("negative", "CD1a"), ("negative", "CD8"), ("weak", "CD5")} <= etp
    assert any(expression == "positive" for expression, _ in etp)


def test_treatment_failure_modes(inferred_store: pyoxigraph.Store) -> None:
    rows = answer(inferred_store, "treatment-failure-modes")
    by_failure = {row["failure"].removeprefix(PEDALL): row for row in rows}
    cd19_loss = by_failure["failure-cd19-loss"]
    assert "CD19 CAR T cells" in cd19_loss["affects"]
    assert "CD123" in cd19_loss["countermeasures"]
    assert "imatinib" in by_failure["failure-kinase-domain-mutation"]["affects"]


@pytest.mark.parametrize("section", REVIEW_SECTIONS)
def test_every_section_of_the_review_is_represented(
    inferred_store: pyoxigraph.Store, section: str
) -> None:
    rows = answer(inferred_store, "evidence-by-section")
    cited = [row for row in rows if row["source"] == REVIEW]
    parts = {part.strip().lower() for row in cited for part in row["section"].split(";")}
    assert any(part.startswith(section.lower()) for part in parts), f"nothing cites {section!r}"
