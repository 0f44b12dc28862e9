"""The knowledge graph conforms to its own shapes (shapes/knowledge-graph.ttl) and to the
quality-check queries (queries/qc/*-violation.rq, run over the ontology and the shapes
together, as ``pedall check`` runs them), and both can fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDFS, Graph, URIRef

from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PEDALL

SHAPES_FILE = "knowledge-graph.ttl"


@pytest.fixture(scope="module")
def knowledge_shapes() -> Graph:
    shapes = Graph()
    shapes.parse(DataFiles.default().shape_file(SHAPES_FILE), format="turtle")
    return shapes


def validate(graph: Graph, shapes: Graph) -> tuple[bool, str]:
    conforms, _report, text = pyshacl.validate(
        graph, shacl_graph=shapes, advanced=True, meta_shacl=True
    )
    return bool(conforms), str(text)


@pytest.mark.slow  # pyshacl over the whole graph
def test_knowledge_graph_conforms_to_its_shapes(
    knowledge_base: KnowledgeBase, knowledge_shapes: Graph
) -> None:
    conforms, text = validate(knowledge_base.graph, knowledge_shapes)
    assert conforms, text


@pytest.mark.slow  # pyshacl over the whole graph
def test_a_term_without_label_does_not_conform(
    knowledge_base: KnowledgeBase, knowledge_shapes: Graph
) -> None:
    broken = Graph() + knowledge_base.graph
    broken.remove((PEDALL["factor-mrd"], RDFS.label, None))
    conforms, text = validate(broken, knowledge_shapes)
    assert not conforms
    assert "factor-mrd" in text and "without rdfs:label" in text


@pytest.mark.slow  # pyshacl over the whole graph
def test_a_figure_without_source_anywhere_does_not_conform(
    knowledge_base: KnowledgeBase, knowledge_shapes: Graph
) -> None:
    broken = Graph() + knowledge_base.graph
    figure = PEDALL["fig-efs10-low"]
    broken.remove((figure, URIRef("http://purl.org/dc/terms/source"), None))
    assert validate(broken, knowledge_shapes)[0]  # the statement holding it still cites
    broken.remove((PEDALL["ev-fig1-efs-by-risk-group"], PEDALL.hasFigure, figure))
    conforms, text = validate(broken, knowledge_shapes)
    assert not conforms
    assert "fig-efs10-low" in text


@pytest.mark.slow  # pyshacl over the whole graph
def test_a_criterion_without_group_does_not_conform(
    knowledge_base: KnowledgeBase, knowledge_shapes: Graph
) -> None:
    broken = Graph() + knowledge_base.graph
    broken.remove((PEDALL["CMCP-ALL2008-high-kmt2a"], PEDALL.assignsGroup, None))
    conforms, text = validate(broken, knowledge_shapes)
    assert not conforms
    assert "criterion without exactly one group" in text


def qc_queries() -> list[Path]:
    return DataFiles.default().qc_query_files()


def test_there_are_quality_check_queries() -> None:
    names = {path.name for path in qc_queries()}
    assert len(names) >= 6
    assert all(name.endswith("-violation.rq") for name in names)


@pytest.fixture(scope="module")
def ontology_and_shapes(knowledge_base: KnowledgeBase) -> Graph:
    return knowledge_base.graph + knowledge_base.shapes


@pytest.mark.slow  # each check over the whole graph
@pytest.mark.parametrize("query", qc_queries(), ids=lambda path: path.stem)
def test_quality_check_finds_no_violation(ontology_and_shapes: Graph, query: Path) -> None:
    rows = list(ontology_and_shapes.query(query.read_text(encoding="utf-8")))
    assert rows == []


BROKEN_EXAMPLES = {
    "term-without-label-violation": """pedall:x a owl:Class ; skos:definition "d" .""",
    "term-without-definition-violation": """pedall:x a owl:NamedIndividual ; rdfs:label "x" .""",
    "evidence-without-source-violation": """pedall:x a pedall:EvidenceStatement ;
        pedall:section "Table 1" .""",
    "figure-without-value-violation": """pedall:x a pedall:OutcomeFigure ;
        pedall:measure pedall:EventFreeSurvival ; pedall:unit "percent" .""",
    "figure-range-violation": """pedall:x a pedall:OutcomeFigure ;
        pedall:value 20.0 ; pedall:valueMax 10.0 .""",
    "undeclared-term-violation": """pedall:x a pedall:EvidenceStatement ;
        pedall:about pedall:no-such-term .""",
    "effect-without-subject-violation": """pedall:x a pedall:EvidenceStatement ;
        pedall:hasEffect pedall:Adverse ; pedall:about pedall:no-such-term .""",
    "eco-traceable-without-reference-violation": """pedall:x a pedall:EvidenceStatement ;
        pedall:evidenceType <http://purl.obolibrary.org/obo/ECO_0000033> .""",
    "factor-disease-unlinked-violation": """pedall:x a pedall:PrognosticFactor ;
        rdfs:label "X-ALL" . pedall:X rdfs:subClassOf pedall:AcuteLymphoblasticLeukemia ;
        skos:altLabel "x-all" .""",
    "dose-measure-violation": """pedall:x a pedall:OutcomeFigure ;
        pedall:measure pedall:DrugDose ; pedall:unit "Gy" ; pedall:about pedall:procedure .""",
    "figure-qualifier-violation": """pedall:x a pedall:OutcomeFigure ;
        pedall:value 10.0 ; pedall:qualifier "from 10 to over 50" .""",
    "duplicate-exact-match-violation": """pedall:x skos:exactMatch obo:NCIT_C1 .
        pedall:y skos:exactMatch obo:NCIT_C1 .""",
    "criterion-rule-condition-violation": """pedall:c a pedall:RiskCriterion ;
        pedall:condition pedall:one . [] a sh:TripleRule ; sh:predicate pedall:meetsCriterion ;
        sh:object pedall:c ; sh:condition pedall:other .""",
    "figure-bound-violation": """pedall:x pedall:boundsCondition pedall:s ;
        pedall:value 5.0 . pedall:s a sh:NodeShape ; sh:property [ sh:minInclusive 6 ] .""",
    "shape-label-number-violation": """pedall:s a sh:NodeShape ;
        rdfs:label "Initial WBC under 50,000 per microliter" ;
        sh:property [ sh:maxExclusive 50000 ] .""",
}


@pytest.mark.parametrize("query", qc_queries(), ids=lambda path: path.stem)
def test_quality_check_can_fail(query: Path, make_graph: Callable[[str], Graph]) -> None:
    prefixes = """PREFIX pedall: <https://w3id.org/pedall/>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX obo: <http://purl.obolibrary.org/obo/>
        """
    broken = make_graph(prefixes + BROKEN_EXAMPLES[query.stem])
    assert list(broken.query(query.read_text(encoding="utf-8"))) != []
