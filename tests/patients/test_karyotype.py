"""ISCN karyotypes as cytogenetics reports write them: the stemline's chromosome count,
gains and losses, rearrangements, constitutional changes, clones (idem, sl, sdl, cp, a
normal clone last), FISH, the count check, the lesion classes they name, and located errors
for malformed ones."""

from __future__ import annotations

import doctest

import pytest

from pedall.errors import KaryotypeError, PedallError
from pedall.knowledge.base import KnowledgeBase
from pedall.namespaces import PEDALL
from pedall.patients import karyotype as karyotype_module
from pedall.patients import karyotype_grammar
from pedall.patients.karyotype import karyotype_lesions, parse_karyotype
from pedall.patients.lesion_notation import NotationIndex
from pedall.patients.model import LesionVocabulary, PatientModel


@pytest.fixture(scope="module")
def vocabulary(knowledge_base: KnowledgeBase) -> LesionVocabulary:
    return PatientModel.from_knowledge(knowledge_base).lesions


# Table 1's lesions as karyotypes write them, with the lesion class each names.
LESION_KARYOTYPES = {
    "46,XY,t(12;21)(p13;q22)[15]/46,XY[5]": "ETV6-RUNX1",
    "46,XX,t(12;21)(p13.2;q22.1)[20]": "ETV6-RUNX1",
    "46,XX[20].nuc ish(ETV6x2,RUNX1x3)(ETV6 con RUNX1x1)[160/200]": "ETV6-RUNX1",
    "45,XX,-7,t(9;22)(q34.1;q11.2)[12]/46,XX[8]": "BCR-ABL1",
    "45,XY,-9,der(22)t(9;22)(q34;q11)[20]": "BCR-ABL1",
    "46,XY,t(9;22)(q34;q11.2)[5]/47,idem,+der(22)t(9;22)(q34;q11.2)[15]": "BCR-ABL1",
    "nuc ish(ABL1,BCR)x3(ABL1 con BCRx2)[180/200]": "BCR-ABL1",
    "46,XX,t(4;11)(q21;q23)[20]": "KMT2A-AFF1",
    "46,XY,t(11;19)(q23;p13.3)[18]/46,XY[2]": "KMT2A-MLLT1",
    "46,XX,t(9;11)(p22;q23)[20]": "KMT2A-MLLT3",
    "46,XY,t(10;11)(p12;q23)[12]": "KMT2A-MLLT10",
    "46,XX,t(1;19)(q23;p13.3)[20]": "TCF3-PBX1",
    "46,XX,der(19)t(1;19)(q23;p13.3)[20]": "TCF3-PBX1",
    "47,XY,+21c,t(1;19)(q23;p13)": "TCF3-PBX1",
    "46,XY,t(17;19)(q22;p13)[10]": "TCF3-HLF",
}


@pytest.mark.parametrize(("text", "local"), LESION_KARYOTYPES.items())
def test_each_table_1_rearrangement_names_its_lesion(
    vocabulary: LesionVocabulary, text: str, local: str
) -> None:
    found = karyotype_lesions(parse_karyotype(text), vocabulary)
    assert found.lesions == (str(PEDALL[local]),)


def test_high_hyperdiploidy_gives_its_count_and_the_table_1_trisomies(
    vocabulary: LesionVocabulary,
) -> None:
    karyotype = parse_karyotype("54,XY,+4,+6,+10,+14,+17,+18,+21,+21[20]")
    assert karyotype.chromosome_count == 54
    assert karyotype.ploidy_level == 2
    assert dict(karyotype.gains) == {"4": 1, "6": 1, "10": 1, "14": 1, "17": 1, "18": 1, "21": 2}
    assert karyotype.losses == {}
    assert karyotype.count_errors == ()
    found = karyotype_lesions(karyotype, vocabulary)
    assert found.lesions == tuple(str(PEDALL[t]) for t in ("Trisomy4", "Trisomy10", "Trisomy17"))
    assert found.unmapped == ("+6", "+14", "+18", "+21")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("45,XX,-7,t(9;22)(q34.1;q11.2)[12]/46,XX[8]", 45),  # hypodiploid, 45
        ("45,X,-Y,t(12;21)(p13;q22)[10]", 45),
        ("45,XX,dic(9;20)(p13;q11.2)[10]", 45),  # a dicentric stands for two
        ("44,XY,-3,-7[15]/46,XY[5]", 44),
        ("36,XX,-2,-3,-4,-7,-9,-12,-13,-15,-16,-17[12]/46,XX[8]", 36),  # low hypodiploid
        ("59,XX,+X,+4,+6,+8,+10,+14,+17,+18,+21,+21,+22,+2mar[12]", 59),
        ("67,XX,+X,+1,+4,+5,+6,+7,+8,+9,+10,+11,+12,+14,+16,+17,+18,+18,+20,+21,+21,+22,+22", 67),
    ],
)
def test_the_modal_count_of_every_ploidy_class_agrees_with_its_changes(
    text: str, count: int
) -> None:
    karyotype = parse_karyotype(text)
    assert karyotype.chromosome_count == count
    assert karyotype.count_errors == ()


def test_near_haploid_stemline_counts_not_its_doubled_clone(vocabulary: LesionVocabulary) -> None:
    karyotype = parse_karyotype("27,X,+10,+14,+18,+21[10]/54,idemx2[5]")
    assert karyotype.chromosome_count == 27
    assert karyotype.ploidy_level == 1
    assert dict(karyotype.gains) == {"10": 1, "14": 1, "18": 1, "21": 1}
    assert karyotype.count_errors == ()
    doubled = karyotype.clones[1]
    assert (doubled.ploidy_level, doubled.expected_count, doubled.refers_to) == (2, 54, 0)
    # Against the haploid set +10 is a disomy: it is not offered as trisomy 10.
    found = karyotype_lesions(karyotype, vocabulary)
    assert found.lesions == ()
    assert "+10" in found.unmapped


def test_an_explicit_ploidy_fixes_the_set_the_changes_are_written_against() -> None:
    karyotype = parse_karyotype("66<3n>,XXX,-4,-7,-15[10]")
    assert (karyotype.chromosome_count, karyotype.ploidy_level) == (66, 3)
    assert karyotype.count_errors == ()


def test_a_normal_karyotype_with_a_cryptic_fusion_found_by_fish(
    vocabulary: LesionVocabulary,
) -> None:
    karyotype = parse_karyotype("46,XX[20].nuc ish(ETV6x2,RUNX1x3)(ETV6 con RUNX1x1)[160/200]")
    assert karyotype.normal
    assert (karyotype.stemline, karyotype.chromosome_count) == (None, 46)
    assert karyotype.rearrangements == ()
    assert karyotype.fish_fusions == ("ETV6::RUNX1",)
    assert karyotype.fish[0].text == "nuc ish(ETV6x2,RUNX1x3)(ETV6 con RUNX1x1)[160/200]"
    assert karyotype_lesions(karyotype, vocabulary).lesions == (str(PEDALL["ETV6-RUNX1"]),)


def test_fish_without_connected_signals_names_no_fusion() -> None:
    karyotype = parse_karyotype("46,XY[20].nuc ish(ETV6,RUNX1)x2[200]")
    assert karyotype.fish_fusions == ()
    only_fish = parse_karyotype("nuc ish(KMT2Ax2)[200]")
    assert (only_fish.clones, only_fish.chromosome_count, only_fish.normal) == ((), None, False)


def test_constitutional_trisomy_21_is_marked_not_a_leukaemic_gain() -> None:
    alone = parse_karyotype("47,XY,+21c[20]")
    assert alone.normal
    assert (alone.chromosome_count, alone.constitutional) == (47, ("+21c",))
    assert alone.gains == {}
    with_leukaemia = parse_karyotype("48,XY,+X,+21c[15]/47,XY,+21c[5]")
    assert dict(with_leukaemia.gains) == {"X": 1}
    assert with_leukaemia.constitutional == ("+21c",)
    acquired = parse_karyotype("47,XY,+21[20]")
    assert (dict(acquired.gains), acquired.constitutional) == ({"21": 1}, ())


def test_a_constitutional_rearrangement_is_marked_not_leukaemic() -> None:
    karyotype = parse_karyotype("46,XY,t(11;22)(q23;q11.2)c,t(12;21)(p13;q22)[20]")
    assert karyotype.constitutional == ("t(11;22)(q23;q11.2)c",)
    assert karyotype.rearrangements == ("t(12;21)(p13;q22)",)


def test_idem_sl_and_sdl_carry_the_changes_of_the_clone_they_name() -> None:
    karyotype = parse_karyotype("46,XY,t(4;11)(q21;q23)[5]/47,idem,+X[10]/48,sdl,+8[3]")
    assert karyotype.chromosome_count == 46
    assert [c.refers_to for c in karyotype.clones] == [None, 0, 1]
    assert [c.text for c in karyotype.clones[2].changes] == ["t(4;11)(q21;q23)", "+X", "+8"]
    assert karyotype.count_errors == ()
    assert karyotype.gains == {}  # the subclone's +X and +8 are not the stemline's
    numbered = parse_karyotype("46,XX,t(12;21)(p13;q22)[3]/47,sl,+10[10]/48,sdl1,+16[7]")
    assert numbered.clones[2].refers_to == 1
    assert numbered.clones[2].expected_count == 48
    lost = parse_karyotype("46,XX,t(12;21)(p13;q22)[3]/45,sl,-X[17]")
    assert lost.count_errors == ()


def test_rearrangements_of_every_abnormal_clone_are_kept_once() -> None:
    karyotype = parse_karyotype(
        "46,XY,t(9;22)(q34;q11.2)[5]/47,idem,+der(22)t(9;22)(q34;q11.2)[15]/46,XY[2]"
    )
    assert karyotype.rearrangements == ("t(9;22)(q34;q11.2)", "der(22)t(9;22)(q34;q11.2)")


def test_a_composite_clone_has_a_count_range_and_is_not_checked() -> None:
    karyotype = parse_karyotype("47~49,XY,+4,+10,+17,+21[cp8]")
    assert karyotype.chromosome_count is None
    assert karyotype.chromosome_count_range == (47, 49)
    assert karyotype.clones[0].written.composite
    assert dict(karyotype.gains) == {"4": 1, "10": 1, "17": 1, "21": 1}
    assert karyotype.count_errors == ()  # 50 from the changes, but not every cell has each
    assert parse_karyotype("48,XY,+4,+10,+17,+21[cp8]").count_errors == ()
    assert parse_karyotype("46,XX,+4,+10,inc[3]").count_errors == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "54,XY,+4",
            "the chromosome count 54 does not agree with the changes written, which give 47",
        ),
        ("46,XY,+21c", "count 46 does not agree with the changes written, which give 47"),
        ("46,XY,t(9;22)(q34;q11.2)[5]/46,idem,-Y[15]", "clone 2 (46,idem,-Y[15])"),
        ("27,X,+10,+14,+18,+21[10]/56,idemx2[5]", "which give 54 (2 x the 27 of clone 1"),
    ],
)
def test_a_count_that_disagrees_with_the_changes_is_an_error_saying_what_was_expected(
    text: str, expected: str
) -> None:
    (error,) = parse_karyotype(text).count_errors
    assert expected in error


def test_sex_chromosome_changes_markers_and_rings_count() -> None:
    for text in ("47,XX,+X", "45,X,-X", "47,XXY", "48,XY,+2mar[10]", "47,XX,+r[5]"):
        assert parse_karyotype(text).count_errors == (), text
    assert dict(parse_karyotype("45,X,-Y[10]").losses) == {"Y": 1}


def test_structural_forms_are_normalised_as_the_vocabulary_reads_them() -> None:
    karyotype = parse_karyotype(
        "47,XX, i(21q)x2 ,+i(9q),del(6)(q21q25),dup(1)(q21q32),inv(14)(q11q32),add(19)(p13),"
        "idic(9)(p12),ins(5;11)(q31;q13q23),r(7)(p22q36),t(4;11;5)(q21;q23;q31),"
        "del(9)(p13~p21),?t(9;22)(q34;q11.2) [20]"
    )
    assert karyotype.rearrangements == (
        "i(21q)",
        "i(9q)",
        "del(6)(q21q25)",
        "dup(1)(q21q32)",
        "inv(14)(q11q32)",
        "add(19)(p13)",
        "idic(9)(p12)",
        "ins(5;11)(q31;q13q23)",
        "r(7)(p22q36)",
        "t(4;11;5)(q21;q23;q31)",
        "del(9)(p13~p21)",
        "?t(9;22)(q34;q11.2)",
    )
    clone = karyotype.clones[0].written
    assert clone.text.startswith("47,XX,i(21q)x2,+i(9q),del(6)(q21q25)")
    assert clone.cells == 20
    assert karyotype.count_errors == ()


def test_questioned_and_unknown_rearrangements_name_no_lesion(
    vocabulary: LesionVocabulary,
) -> None:
    found = karyotype_lesions(
        parse_karyotype("46,XY,?t(9;22)(q34;q11.2),t(4;11;5)(q21;q23;q31),del(9)(p21)[20]"),
        vocabulary,
    )
    assert found.lesions == ()
    assert found.unmapped == ("?t(9;22)(q34;q11.2)", "t(4;11;5)(q21;q23;q31)", "del(9)(p21)")


def test_iamp21_is_not_derived_from_a_karyotype(vocabulary: LesionVocabulary) -> None:
    # iAMP21 is defined by a FISH signal count (a threshold, held as data, not in Python):
    # the karyotype's abnormal 21 and the RUNX1 copies are kept, and name no lesion.
    karyotype = parse_karyotype("47,XX,+X,add(21)(q22)[10]/46,XX[10].nuc ish(RUNX1x6)[180/200]")
    assert karyotype.rearrangements == ("add(21)(q22)",)
    found = karyotype_lesions(karyotype, vocabulary)
    assert str(PEDALL.iAMP21) not in found.lesions
    assert found.unmapped == ("add(21)(q22)", "+X")


def test_the_vocabulary_not_python_decides_what_a_gain_or_a_loss_is() -> None:
    names = {"+21": "urn:x:gain21", "-7": "urn:x:monosomy7", "t(9;22)": "urn:x:ph"}
    vocabulary = LesionVocabulary(
        by_code=names,
        spelled={n: n for n in names},
        display={},
        superclasses={},
        notation=NotationIndex.build([], [("t(9;22)(q34;q11.2)", "urn:x:ph")]),
    )
    found = karyotype_lesions(
        parse_karyotype("46,XY,+21,-7,t(9;22)(q34.1;q11.2),t(12;21)(p13;q22)[20]"), vocabulary
    )
    assert found.lesions == ("urn:x:ph", "urn:x:gain21", "urn:x:monosomy7")
    assert found.unmapped == ("t(12;21)(p13;q22)",)


MALFORMED = [
    ("46,XY,foo", 7, "a gain (+N), a loss (-N), a rearrangement such as t(9;22)(q34;q11)", "'foo'"),
    ("46,XY,7", 7, "a gain (+N), a loss (-N)", "'7'"),
    ("46,XY,", 7, "a gain (+N)", "the end of the karyotype"),
    ("46,XY,+foo", 8, "a chromosome (1-22, X or Y), a marker (mar) or a rearrangement", "'foo'"),
    ("46,XY,+23", 8, "a chromosome (1-22, X or Y)", "'23'"),
    ("46,XY,t(9;23)(q34;q11)", 11, "a chromosome (1-22, X or Y)", "'23'"),
    ("46,XY,t(9;22)(q34;q11", 22, "')'", "the end of the karyotype"),
    ("46,XY,t(9;22)(x34;q11)", 15, "a band such as q34, q11.2, p13 or pter", "'x34'"),
    ("46,XY,t(9;22)q34", 14, "',' and a change, a cell count such as [20]", "'q34'"),
    ("normal", 1, "a karyotype beginning with its chromosome count (e.g. 46,XX)", "'normal'"),
    ("", 1, "a karyotype beginning with its chromosome count", "the end of the karyotype"),
    ("46 XY", 4, "',' after the chromosome count", "'XY'"),
    ("46,xy", 4, "the sex chromosomes (XX, XY, X ...), or idem, sl or sdl", "'xy'"),
    ("46,XY[20", 9, "']'", "the end of the karyotype"),
    ("46,XY[a]", 7, "a number of cells", "'a'"),
    ("46,XY[20]foo", 10, "'/' and the next clone, '.' and a FISH result", "'foo'"),
    ("46,XY//46,XX", 7, "a chromosome count such as 46 or 45~47", "'/'"),
    ("47~45,XY", 1, "a count range from the lower count to the higher (47 > 45)", "'47~45'"),
    ("47,idem,+8", 4, "idem, sl and sdl refer to an abnormal clone written before", "'idem'"),
    ("46,XX[5]/48,sdl2,+9", 13, "idem, sl and sdl refer to an abnormal clone", "'sdl2'"),
    ("46,XY[20].", 11, "a FISH result such as nuc ish(ETV6,RUNX1)x2[200]", "the end"),
    ("46,XY[20].nuc ish", 18, "a probe list in parentheses", "the end of the karyotype"),
    ("46,XY[20].nuc ish(ETV6,RUNX1", 29, "')' after the probes", "the end of the karyotype"),
    ("46,XY,+21 c", 11, "',' and a change", "'c'"),
]


@pytest.mark.parametrize(("text", "position", "expected", "found"), MALFORMED)
def test_a_malformed_karyotype_is_a_located_error_saying_what_was_expected(
    text: str, position: int, expected: str, found: str
) -> None:
    with pytest.raises(KaryotypeError) as raised:
        parse_karyotype(text)
    error = raised.value
    assert isinstance(error, PedallError) and isinstance(error, ValueError)
    assert error.position == position
    assert expected in error.expected
    assert error.found.startswith(found)
    assert (
        str(error) == f"at position {position}: expected {error.expected}, but found {error.found}"
    )


def test_the_documented_examples_hold() -> None:
    for module in (karyotype_module, karyotype_grammar):
        failed, _ = doctest.testmod(module)
        assert failed == 0, module.__name__
