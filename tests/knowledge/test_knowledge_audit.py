"""The knowledge audit's findings stay fixed (issue 11): ETP-ALL is one concept, the 18 Gy
cranial dose is a radiation dose, "10% to over 50%" keeps its open end, B-ALL maps exactly
to NCIt C8644, the current WHO-HAEM5 names carry their source, every mapped identifier is
logged as checked, and the quality checks that compare the ontology with the shapes
(criterion against rule, cutoff figure against bound, labels without numbers) pass on the
shipped data and fail, naming the problem, when a copy breaks them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, SKOS
from rdflib.term import Node

from pedall.cli.main import main
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DATA_KINDS, DataFiles
from pedall.namespaces import PEDALL
from pedall.service.criteria_in_words import bounds_in_words

NCIT = "http://purl.obolibrary.org/obo/NCIT_"
PSHAPE = "https://w3id.org/pedall/shapes/"
WHO_HAEM5 = URIRef("https://doi.org/10.1038/s41375-022-01620-2")
MAPPING_PREDICATES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)


@pytest.fixture(scope="module")
def ontology_and_shapes(knowledge_base: KnowledgeBase) -> Graph:
    return knowledge_base.graph + knowledge_base.shapes


Row = tuple[Node | None, ...]
RunQc = Callable[..., list[Row]]


@pytest.fixture(scope="module")
def run_qc(ontology_and_shapes: Graph) -> RunQc:
    """Run a quality-check query (by name) on a graph, the shipped one by default; its rows."""
    folder = DataFiles.default().folder("queries") / "qc"

    def run(name: str, graph: Graph | None = None) -> list[Row]:
        text = (folder / f"{name}.rq").read_text(encoding="utf-8")
        result = (graph if graph is not None else ontology_and_shapes).query(text)
        return [tuple(row) for row in result if not isinstance(row, bool)]

    return run


def changed(graph: Graph, edit: Callable[[Graph], object]) -> Graph:
    copy = Graph() + graph
    edit(copy)
    return copy


# 1. Modelling slips


def test_etp_all_factor_defines_the_etp_all_disease_class(
    knowledge_base: KnowledgeBase, run_qc: RunQc
) -> None:
    graph = knowledge_base.graph
    disease = PEDALL.EarlyTCellPrecursorALL
    assert (PEDALL["ETP-ALL"], PEDALL.definesDisease, disease) in graph
    assert (disease, RDFS.subClassOf, PEDALL.TCellALL) in graph
    assert run_qc("factor-disease-unlinked-violation") == []
    unlinked = changed(
        knowledge_base.graph, lambda g: g.remove((PEDALL["ETP-ALL"], PEDALL.definesDisease, None))
    )
    (row,) = run_qc("factor-disease-unlinked-violation", unlinked)
    assert row[:2] == (PEDALL["ETP-ALL"], disease)


def test_cranial_irradiation_dose_is_a_radiation_dose_not_a_drug_dose(
    knowledge_base: KnowledgeBase, run_qc: RunQc
) -> None:
    graph = knowledge_base.graph
    figure = PEDALL["fig-cranial-irradiation-dose"]
    assert graph.value(figure, PEDALL.measure) == PEDALL.RadiationDose
    assert (str(graph.value(figure, PEDALL.unit)), graph.value(figure, PEDALL.value)) == (
        "Gy",
        Literal(Decimal("18.0")),
    )
    assert (PEDALL.RadiationDose, RDF.type, PEDALL.OutcomeMeasure) in graph
    assert run_qc("dose-measure-violation") == []
    drug_dose = changed(graph, lambda g: g.set((figure, PEDALL.measure, PEDALL.DrugDose)))
    problems = {str(row[1]) for row in run_qc("dose-measure-violation", drug_dose)}
    assert problems == {
        "drug dose about something that is not a drug",
        "a dose in gray that is not measured as a radiation dose",
    }


def test_relapse_survival_range_keeps_its_open_upper_end(
    knowledge_base: KnowledgeBase, run_qc: RunQc
) -> None:
    graph = knowledge_base.graph
    figure = PEDALL["fig-relapse-survival"]
    assert graph.value(figure, PEDALL.value) == Literal(Decimal("10.0"))
    assert graph.value(figure, PEDALL.valueMax) == Literal(Decimal("50.0"))
    assert str(graph.value(figure, PEDALL.valueMaxQualifier)) == "more than"
    assert graph.value(figure, PEDALL.qualifier) is None
    assert run_qc("figure-qualifier-violation") == []
    old = changed(graph, lambda g: g.add((figure, PEDALL.qualifier, Literal("from 10 to over 50"))))
    (row,) = run_qc("figure-qualifier-violation", old)
    assert row[0] == figure
    no_top = changed(graph, lambda g: g.remove((figure, PEDALL.valueMax, None)))
    (row,) = run_qc("figure-qualifier-violation", no_top)
    assert "upper value that is not given" in str(row[2])


def test_b_all_is_exactly_ncit_b_acute_lymphoblastic_leukemia(
    knowledge_base: KnowledgeBase, run_qc: RunQc
) -> None:
    graph = knowledge_base.graph
    b_all = PEDALL.PrecursorBCellALL
    assert set(graph.objects(b_all, SKOS.exactMatch)) == {URIRef(NCIT + "C8644")}
    # B lymphoblastic leukemia/lymphoma covers the lymphoma too: broader, not close.
    assert set(graph.objects(b_all, SKOS.broadMatch)) == {URIRef(NCIT + "C8936")}
    assert list(graph.objects(b_all, SKOS.closeMatch)) == []
    assert run_qc("duplicate-exact-match-violation") == []
    twice = changed(
        graph, lambda g: g.add((PEDALL.PrecursorBCell, SKOS.exactMatch, URIRef(NCIT + "C8644")))
    )
    (row,) = run_qc("duplicate-exact-match-violation", twice)
    assert row[0] == URIRef(NCIT + "C8644")


# 2. Current names and verified codes


@pytest.mark.parametrize(
    ("disease", "name"),
    [
        (PEDALL.PhPositiveALL, "B-lymphoblastic leukaemia/lymphoma with BCR::ABL1 fusion"),
        (PEDALL.PhLikeALL, "B-lymphoblastic leukaemia/lymphoma with BCR::ABL1-like features"),
    ],
)
def test_who_haem5_names_are_synonyms_with_their_source(
    knowledge_base: KnowledgeBase, disease: URIRef, name: str
) -> None:
    graph = knowledge_base.graph
    target = Literal(name, lang="en")
    assert (disease, SKOS.altLabel, target) in graph
    (axiom,) = graph.subjects(OWL.annotatedTarget, target)
    assert (axiom, RDF.type, OWL.Axiom) in graph
    assert graph.value(axiom, OWL.annotatedSource) == disease
    assert graph.value(axiom, OWL.annotatedProperty) == SKOS.altLabel
    assert graph.value(axiom, DCTERMS.source) == WHO_HAEM5
    assert (WHO_HAEM5, RDF.type, PEDALL.Publication) in graph
    assert str(graph.value(WHO_HAEM5, PEDALL.doi)) == "10.1038/s41375-022-01620-2"


@pytest.mark.parametrize(
    ("term", "predicate", "code"),
    [
        ("CNS1", SKOS.exactMatch, "C116833"),
        ("CNS2", SKOS.exactMatch, "C116834"),
        ("CNS3", SKOS.exactMatch, "C116835"),
        ("TCellALL", SKOS.exactMatch, "C3183"),
        ("PhPositiveALL", SKOS.exactMatch, "C36312"),
        ("PhPositiveALL", SKOS.closeMatch, "C80331"),
        ("BCR-ABL1", SKOS.relatedMatch, "C80331"),
        ("KMT2A-rearrangement", SKOS.relatedMatch, "C80332"),
        ("KMT2A-rearrangement", SKOS.exactMatch, "C122623"),
        ("ETV6-RUNX1", SKOS.relatedMatch, "C80334"),
        ("HighHyperdiploidy", SKOS.relatedMatch, "C80335"),
        ("Hypodiploidy", SKOS.relatedMatch, "C80338"),
        ("TCF3-PBX1", SKOS.relatedMatch, "C80341"),
        ("Trisomy4", SKOS.exactMatch, "C36530"),
        ("Trisomy17", SKOS.exactMatch, "C37865"),
    ],
)
def test_verified_ncit_codes_are_mapped_as_their_meaning_allows(
    knowledge_base: KnowledgeBase, term: str, predicate: URIRef, code: str
) -> None:
    assert (PEDALL[term], predicate, URIRef(NCIT + code)) in knowledge_base.graph


def test_a_lesion_relates_to_the_disease_subtype_it_defines_never_exactly(
    knowledge_base: KnowledgeBase,
) -> None:
    graph = knowledge_base.graph
    lesions = set(graph.transitive_subjects(RDFS.subClassOf, PEDALL.GeneticLesion))
    subtypes = {URIRef(NCIT + c) for c in ("C80331", "C80332", "C80334", "C80335", "C80338")}
    related = {o for s in lesions for o in graph.objects(s, SKOS.relatedMatch)}
    exact = {o for s in lesions for o in graph.objects(s, SKOS.exactMatch)}
    assert subtypes <= related
    assert subtypes & exact == set()


def _identifier(iri: str) -> tuple[str, str]:
    hgnc = re.fullmatch(r"https://identifiers\.org/hgnc:(\d+)", iri)
    if hgnc:
        return "HGNC", hgnc.group(1)
    obo = re.fullmatch(r"http://purl\.obolibrary\.org/obo/([A-Z]+)_(C?\d+)", iri)
    assert obo, iri
    return obo.group(1), obo.group(2)


def test_every_mapped_identifier_is_logged_as_checked(knowledge_base: KnowledgeBase) -> None:
    readme = DataFiles.default().folder("ontology") / "README.md"
    rows = [line for line in readme.read_text(encoding="utf-8").splitlines() if line[:1] == "|"]
    unlogged = set()
    for predicate in MAPPING_PREDICATES:
        for target in knowledge_base.graph.objects(None, predicate):
            prefix, local = _identifier(str(target))
            word = re.compile(rf"(?<![0-9A-Za-z]){re.escape(local)}(?![0-9])")
            if not any(prefix in row and word.search(row) for row in rows):
                unlogged.add(f"{prefix}:{local}")
    assert unlogged == set()


def test_identifiers_that_could_not_be_verified_stay_out(knowledge_base: KnowledgeBase) -> None:
    graph = knowledge_base.graph
    mapped = {str(o) for p in MAPPING_PREDICATES for o in graph.objects(None, p)}
    assert {NCIT + "C129787", NCIT + "C130039"} & mapped == set()
    for gene in (PEDALL["gene-EPOR"], PEDALL["gene-MLLT1"]):
        assert [o for o in graph.objects(gene, SKOS.exactMatch) if "hgnc" in str(o)] == []


# 3. Quality checks as data


def test_each_criterion_condition_is_its_rules_condition(
    ontology_and_shapes: Graph, run_qc: RunQc
) -> None:
    assert run_qc("criterion-rule-condition-violation") == []
    graph = ontology_and_shapes
    criteria = set(graph.subjects(RDF.type, PEDALL.RiskCriterion))
    ruled = set(graph.objects(None, SH.object)) & criteria
    assert ruled == criteria and len(criteria) > 20
    rule = next(iter(graph.subjects(SH.object, PEDALL["CMCP-ALL2008-high-age"])))
    wrong = changed(graph, lambda g: g.set((rule, SH.condition, URIRef(PSHAPE + "Infant"))))
    (row,) = run_qc("criterion-rule-condition-violation", wrong)
    assert row[:3] == (
        PEDALL["CMCP-ALL2008-high-age"],
        URIRef(PSHAPE + "AgeTenToUnderFifteen"),
        URIRef(PSHAPE + "Infant"),
    )


@pytest.mark.parametrize(
    ("figure", "shapes"),
    [
        ("fig-wbc-cutoff", {"WbcUnder50k", "Wbc50kToUnder100k", "PrecursorBWbc50kOrMore"}),
        ("fig-mrd-cutoff", {"MrdPositiveCondition", "MrdNegativeCondition"}),
        ("fig-prephase-cutoff", {"PoorPrephaseCondition", "GoodPrephaseCondition"}),
        ("fig-cns3-csf-cutoff", {"Cns3FromCsfCondition"}),
        ("fig-hyperdiploidy-cutoff", {"HighHyperdiploidCondition"}),
        ("fig-low-hypodiploidy-range", {"LowHypodiploidCondition"}),
        ("fig-near-haploidy-range", {"NearHaploidCondition"}),
    ],
)
def test_cutoff_figures_link_to_the_shapes_using_their_number(
    knowledge_base: KnowledgeBase, figure: str, shapes: set[str]
) -> None:
    linked = set(knowledge_base.graph.objects(PEDALL[figure], PEDALL.boundsCondition))
    assert linked == {URIRef(PSHAPE + name) for name in shapes}
    assert all((shape, RDF.type, SH.NodeShape) in knowledge_base.shapes for shape in linked)


def _bounded(graph: Graph, shape: str, kind: URIRef) -> Node:
    """The property shape of ``shape`` that has a bound of ``kind``."""
    (property_shape,) = (
        ps for ps in graph.objects(URIRef(PSHAPE + shape), SH.property) if graph.value(ps, kind)
    )
    return property_shape


@pytest.mark.slow  # quality checks on changed copies
def test_a_cutoff_that_disagrees_with_its_shape_is_found(
    ontology_and_shapes: Graph, run_qc: RunQc
) -> None:
    assert run_qc("figure-bound-violation") == []
    graph = ontology_and_shapes
    mrd = _bounded(graph, "MrdPositiveCondition", SH.minExclusive)
    moved = changed(graph, lambda g: g.set((mrd, SH.minExclusive, Literal(Decimal("0.1")))))
    (row,) = run_qc("figure-bound-violation", moved)
    assert row[:2] == (PEDALL["fig-mrd-cutoff"], URIRef(PSHAPE + "MrdPositiveCondition"))
    # "at least 1,000" is a minInclusive; a minExclusive at the same number is another cutoff.
    poor = _bounded(graph, "PoorPrephaseCondition", SH.minInclusive)

    def exclusive(g: Graph) -> None:
        g.remove((poor, SH.minInclusive, None))
        g.add((poor, SH.minExclusive, Literal(1000)))

    (row,) = run_qc("figure-bound-violation", changed(graph, exclusive))
    assert row[:2] == (PEDALL["fig-prephase-cutoff"], URIRef(PSHAPE + "PoorPrephaseCondition"))
    low = _bounded(graph, "LowHypodiploidCondition", SH.maxInclusive)
    top = changed(graph, lambda g: g.set((low, SH.maxInclusive, Literal(40))))
    (row,) = run_qc("figure-bound-violation", top)
    assert "upper value" in str(row[2])


def test_no_shape_label_repeats_a_bound_of_its_shape(
    ontology_and_shapes: Graph, run_qc: RunQc
) -> None:
    assert run_qc("shape-label-number-violation") == []
    shape = URIRef(PSHAPE + "WbcUnder50k")
    old = Literal("Initial WBC under 50,000 per microliter", lang="en")
    (row,) = run_qc(
        "shape-label-number-violation",
        changed(ontology_and_shapes, lambda g: g.set((shape, RDFS.label, old))),
    )
    assert row[0] == shape and row[2] == Literal(50000)
    # The steroid prephase's 7 days are no bound of the shape: a time point, not a threshold.
    prephase = ontology_and_shapes.value(URIRef(PSHAPE + "PoorPrephaseCondition"), RDFS.label)
    assert "7 days" in str(prephase)


def test_the_calculator_writes_the_bound_after_the_label(knowledge_base: KnowledgeBase) -> None:
    words = bounds_in_words(
        knowledge_base.graph, knowledge_base.shapes, URIRef(PSHAPE + "LowHypodiploidCondition")
    )
    name = str(knowledge_base.graph.value(PEDALL.chromosomeCount, RDFS.label))
    assert words == f"{name} at least 32 and at most 39"
    prephase = bounds_in_words(
        knowledge_base.graph, knowledge_base.shapes, URIRef(PSHAPE + "PoorPrephaseCondition")
    )
    assert prephase.endswith("at least 1,000")


def run_check(root: Path) -> Result:
    return CliRunner().invoke(main, ["check", "--data-root", str(root)])


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    shipped = DataFiles.default()
    for kind in DATA_KINDS:
        shutil.copytree(shipped.folder(kind), tmp_path / kind)
    return tmp_path


@pytest.mark.slow  # `pedall check` on a copy
def test_pedall_check_names_a_rule_a_bound_and_a_label_that_drifted(data_copy: Path) -> None:
    rules = data_copy / "shapes" / "cmcp-all2008.ttl"
    text = rules.read_text(encoding="utf-8")
    rule = "sh:condition pshape:AgeTenToUnderFifteen ;"
    assert text.count(rule) == 1
    rules.write_text(text.replace(rule, "sh:condition pshape:AgeFifteenOrOlder ;"), "utf-8")
    findings = data_copy / "shapes" / "derived-findings.ttl"
    text = findings.read_text(encoding="utf-8")
    for old, new in (
        ("sh:minExclusive 0.01 ;", "sh:minExclusive 0.1 ;"),
        (
            'rdfs:label "Hypodiploid chromosome count"@en ;',
            'rdfs:label "Fewer than 45 chromosomes"@en ;',
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    findings.write_text(text, encoding="utf-8")
    result = run_check(data_copy)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith("qc: criterion-rule-condition-violation") and "high-age" in line
        for line in lines
    ), result.output
    assert any(
        line.startswith("qc: figure-bound-violation") and "fig-mrd-cutoff" in line for line in lines
    ), result.output
    assert any(
        line.startswith("qc: shape-label-number-violation") and "HypodiploidCondition" in line
        for line in lines
    ), result.output
