"""The calculator's form and words come from the data: lesion groups from
``ontology/calculator-form.ttl`` and the lesion hierarchy, units from the patient model's
conversions, thresholds from the shapes' derived findings, the schemes' definitions from
the graph. A changed group in a copy of the data files changes the form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import SH

from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DATA_KINDS, DataFiles
from pedall.namespaces import PEDALL
from pedall.service.calculator_form import calculator_form, lesion_groups
from pedall.service.criteria_in_words import calculator_words
from pedall.toolkit import toolkit
from sparql_rows import python_value


def group_codes(knowledge: KnowledgeBase) -> dict[str, list[str]]:
    return {g.label: [lesion.code for lesion in g.lesions] for g in lesion_groups(knowledge)}


def test_every_lesion_of_the_model_is_offered_once(knowledge_base: KnowledgeBase) -> None:
    offered = [lesion.iri for g in lesion_groups(knowledge_base) for lesion in g.lesions]
    display = toolkit(knowledge_base).model.lesions.display
    expected = {iri for iri in display if iri.startswith(str(PEDALL))} - {str(PEDALL.GeneticLesion)}
    assert len(offered) == len(set(offered))
    assert set(offered) == expected


def test_groups_follow_the_hierarchy_and_the_data(knowledge_base: KnowledgeBase) -> None:
    groups = lesion_groups(knowledge_base)
    graph = knowledge_base.graph
    orders = [int(python_value(graph.value(URIRef(g.iri), PEDALL.formOrder))) for g in groups]
    assert orders == sorted(orders)
    sentinel = next(
        g for g in groups if (URIRef(g.iri), SKOS.member, PEDALL.SentinelFusion) in graph
    )
    codes = [lesion.code for lesion in sentinel.lesions]
    assert {"BCR::ABL1", "ETV6::RUNX1", "KMT2A::AFF1", "TCF3::PBX1"} <= set(codes)
    # a partner-specific KMT2A fusion comes right after, and under, the rearrangement
    kmt2a = next(
        i for i, lesion in enumerate(sentinel.lesions) if lesion.iri.endswith("KMT2A-rearrangement")
    )
    assert sentinel.lesions[kmt2a + 1].code.startswith("KMT2A::")
    assert sentinel.lesions[kmt2a + 1].depth == sentinel.lesions[kmt2a].depth + 1
    t_all = next(
        g for g in groups if (URIRef(g.iri), SKOS.member, PEDALL["NOTCH1-mutation"]) in graph
    )
    assert {lesion.iri for lesion in t_all.lesions} == {
        str(PEDALL["NOTCH1-mutation"]),
        str(PEDALL["FLT3-mutation"]),
    }
    ploidy = next(g for g in groups if any(lesion.code == "trisomy 4" for lesion in g.lesions))
    trisomies = [lesion.code for lesion in ploidy.lesions if lesion.code.startswith("trisomy")]
    assert trisomies == ["trisomy 4", "trisomy 10", "trisomy 17"]  # numbers by value


def test_a_field_in_another_unit_is_a_unit_of_its_field(knowledge_base: KnowledgeBase) -> None:
    form = calculator_form(knowledge_base)
    by_column = {f.column: f for f in form.fields}
    assert "wbc_10e9_per_l" not in by_column
    wbc = by_column["wbc_per_ul"]
    assert wbc.columns == ("wbc_per_ul", "wbc_10e9_per_l")
    graph = knowledge_base.graph
    assert [unit.label for unit in wbc.units] == [
        str(graph.value(PEDALL.wbcPerMicroliter, PEDALL.unitLabel)),
        str(graph.value(PEDALL.wbc10e9PerLiter, PEDALL.unitLabel)),
    ]
    assert form.column_labels["wbc_10e9_per_l"] == str(
        graph.value(PEDALL.wbc10e9PerLiter, RDFS.label)
    )


def test_thresholds_in_words_come_from_the_derived_findings(knowledge_base: KnowledgeBase) -> None:
    words = calculator_words(knowledge_base)
    criteria = words["criteria"]
    assert isinstance(criteria, dict)
    mrd = criteria[str(PEDALL["CMCP-ALL2008-high-mrd"])]
    shapes = knowledge_base.shapes
    (rule,) = shapes.subjects(SH.object, PEDALL.MRDPositiveEndOfInduction)
    condition = shapes.value(rule, SH.condition)
    (threshold,) = mrd["thresholds"]
    # The condition's label, then its bound in words: the number is written once, as the bound.
    assert threshold["text"].startswith(str(shapes.value(condition, RDFS.label)) + ": ")
    properties = shapes.objects(condition, SH.property)
    (bound,) = (b for ps in properties for b in shapes.objects(ps, SH.minExclusive))
    assert threshold["text"].endswith(f"above {bound}")
    assert threshold["section"] == str(shapes.value(condition, PEDALL.section))
    assert mrd["interpretation"] == str(
        knowledge_base.graph.value(PEDALL["CMCP-ALL2008-high-mrd"], PEDALL.interpretation)
    )
    age = criteria[str(PEDALL["CMCP-ALL2008-high-age"])]
    assert age["thresholds"] == []  # the label and definition already say the ages
    nci = words["nci_rome"]
    assert isinstance(nci, dict)
    assert nci["definition"] == str(knowledge_base.graph.value(PEDALL["NCI-Rome"], SKOS.definition))
    assert [g["code"] for g in nci["groups"]] == ["standard", "high", "not-applicable"]


def copy_data_files(target: Path) -> Path:
    source = DataFiles.default().root
    for kind in DATA_KINDS:
        shutil.copytree(source / kind, target / kind)
    return target


@pytest.mark.slow
def test_a_changed_group_in_the_data_changes_the_form(tmp_path: Path) -> None:
    root = copy_data_files(tmp_path / "data")
    path = root / "ontology" / "calculator-form.ttl"
    graph = Graph().parse(path, format="turtle")
    t_all = PEDALL["lesion-group-t-all"]
    graph.add((t_all, SKOS.member, PEDALL["TP53-mutation"]))
    graph.set((t_all, RDFS.label, Literal("T-cell lesions", lang="en")))
    graph.set((t_all, PEDALL.formOrder, Literal(-1)))
    path.write_text(graph.serialize(format="longturtle"), encoding="utf-8")

    groups = lesion_groups(KnowledgeBase.load(root))
    assert groups[0].label == "T-cell lesions"
    assert "TP53 mutation" in [lesion.code for lesion in groups[0].lesions]
    assert all("TP53 mutation" not in [lesion.code for lesion in g.lesions] for g in groups[1:])
