"""A cytogenetics report's ISCN karyotype read for what pedall needs from it.

From the written clones (:mod:`pedall.patients.karyotype_grammar`) this derives the
chromosome count of the leukaemic stemline, its whole-chromosome gains and losses, the
rearrangements of every abnormal clone as normalised ISCN text, the constitutional changes
(``c``, e.g. ``+21c``; what one means for the patient is data, ``pedall:constitutionalChange``)
and whether each clone's count agrees with its changes.
Nothing here knows a lesion: :func:`karyotype_lesions` hands the texts to the ontology's
vocabulary (labels, synonyms, ``pedall:iscnPattern``), and the ploidy classes are the
ontology's chromosome-count bounds, applied to ``chromosome_count`` elsewhere.

Reading decisions (ISCN 2020/2024 unless said):

- The stemline is the first clone with an acquired change (ISCN writes it first, a normal
  clone last); its count is the karyotype's. A near-haploid stemline with its doubled clone
  (``27,X,+10,+14,+18,+21[10]/54,idemx2[5]``) counts 27. A report that writes the doubled
  clone first is read as written. With no acquired change the karyotype is normal and its
  count is the first clone's (``46,XX[20]`` counts 46, ``47,XY,+21c`` 47).
- ``idem`` and ``sl`` refer to the stemline, ``sdl`` to the abnormal clone written last
  before, ``sdlN`` to the N-th abnormal clone after the stemline; ``idemx2`` doubles it.
- Gains and losses are the stemline's acquired whole-chromosome changes, net per chromosome
  (``+21,+21`` is 2), relative to the chromosome set the clone is written against
  (``ploidy_level``: 1 haploid, 2 diploid ...): near-haploid ``+10`` is a disomy, so only
  a diploid stemline's gains are offered to the vocabulary as ``+N``.
- A clone's count agrees when it equals its sex chromosomes, 22 autosomes per set and the
  changes (a gain adds, a loss takes away, ``dic``, ``rob`` and a two-chromosome ``der``
  stand for two chromosomes; a lost X or Y is already missing from the sex chromosomes
  written, ``45,X,-Y``); an ``idem`` clone from the clone it refers to. ``cp`` and ``inc``
  clones list changes that not every cell has: not checked.
- A questioned change (``?``) is kept as written, so the vocabulary does not map it.
- FISH: the probe lists are kept as written; connected signals (``ETV6 con RUNX1``) are
  offered as a fusion in either order. A FISH signal count (iAMP21's RUNX1 copies) is a
  threshold, which Python does not hold: iAMP21 is recorded as a lesion, not derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pedall.errors import KaryotypeError
from pedall.patients.karyotype_grammar import (
    WrittenChange,
    WrittenClone,
    WrittenFish,
    read_karyotype,
)
from pedall.patients.model import LesionVocabulary

AUTOSOMES_PER_SET = 22
PLOIDY_LEVELS = (1, 2, 3, 4)
PLOIDY_WORDS = {1: "haploid", 2: "diploid", 3: "triploid", 4: "tetraploid"}
SEX_CHROMOSOMES = ("X", "Y")
# Symbols whose unsigned change stands for as many normal chromosomes as it joins.
JOINING_SYMBOLS = ("der", "dic", "rob")
REFERENCE_EXPECTED = (
    "the sex chromosomes (idem, sl and sdl refer to an abnormal clone written before this one)"
)


@dataclass(frozen=True)
class Clone:
    """One clone with what it refers to filled in: its changes include those of the clone
    that its ``idem``, ``sl`` or ``sdl`` names."""

    written: WrittenClone
    changes: tuple[WrittenChange, ...]
    ploidy_level: int  # the chromosome set the changes are written against
    expected_count: int | None  # what the changes give; None when not checked (cp, inc)
    refers_to: int | None = None  # the index of the clone idem, sl or sdl names

    @property
    def count(self) -> tuple[int, int]:
        return self.written.count

    @property
    def acquired(self) -> tuple[WrittenChange, ...]:
        return tuple(c for c in self.changes if not c.constitutional)

    @property
    def normal(self) -> bool:
        """No acquired change (a constitutional +21c alone is a normal clone)."""
        return not self.acquired


@dataclass(frozen=True)
class Karyotype:
    """What a karyotype says, for the patient record.

    >>> k = parse_karyotype("47,XY,+21c,t(1;19)(q23;p13)[20]")
    >>> k.chromosome_count, k.constitutional, k.rearrangements
    (47, ('+21c',), ('t(1;19)(q23;p13)',))
    """

    clones: tuple[Clone, ...]
    fish: tuple[WrittenFish, ...]
    stemline: Clone | None  # the first clone with an acquired change; None: normal
    chromosome_count: int | None  # the stemline's (else the first clone's); None for a range
    chromosome_count_range: tuple[int, int] | None  # (least, greatest); None: FISH only
    ploidy_level: int | None
    gains: Mapping[str, int]  # chromosome -> copies gained by the stemline
    losses: Mapping[str, int]  # chromosome -> copies lost by the stemline
    constitutional: tuple[str, ...]  # constitutional changes as written: "+21c"
    rearrangements: tuple[str, ...]  # acquired structural changes, normalised ISCN
    fish_fusions: tuple[str, ...]  # connected FISH signals as "ETV6::RUNX1"
    count_errors: tuple[str, ...]  # clones whose count disagrees with their changes

    @property
    def normal(self) -> bool:
        """Clones written, none with an acquired change (a FISH result alone is not a
        normal karyotype)."""
        return bool(self.clones) and self.stemline is None


@dataclass(frozen=True)
class KaryotypeLesions:
    """The lesion classes a karyotype names, and the changes that name none (not errors:
    most rearrangements are not lesions the risk schemes use)."""

    lesions: tuple[str, ...]  # lesion class IRIs, in karyotype order, without repeats
    unmapped: tuple[str, ...]  # ISCN texts of the changes that map to no lesion class


def parse_karyotype(text: str) -> Karyotype:
    """Read an ISCN karyotype; a malformed one raises :class:`KaryotypeError` saying at
    which position what was expected. A count that disagrees with the changes is not
    raised but listed in ``count_errors``."""
    written = read_karyotype(text)
    clones = _resolve(text, written.clones)
    stemline = next((c for c in clones if not c.normal), None)
    head = stemline or (clones[0] if clones else None)
    low, high = head.count if head is not None else (0, 0)
    gains, losses = _gains_and_losses(stemline)
    inborn = [c for clone in clones for c in clone.changes if c.constitutional]
    return Karyotype(
        clones=clones,
        fish=written.fish,
        stemline=stemline,
        chromosome_count=low if head is not None and low == high else None,
        chromosome_count_range=(low, high) if head is not None else None,
        ploidy_level=head.ploidy_level if head is not None else None,
        gains=gains,
        losses=losses,
        constitutional=_unique(c.text for c in inborn),
        rearrangements=_unique(
            _rearrangement_text(c)
            for clone in clones
            for c in clone.acquired
            if c.symbol not in ("chromosome", "marker")
        ),
        fish_fusions=_unique(f"{a}::{b}" for fish in written.fish for a, b in fish.connected),
        count_errors=tuple(
            message
            for index, clone in enumerate(clones)
            if (message := _count_error(index, clones))
        ),
    )


def karyotype_lesions(karyotype: Karyotype, vocabulary: LesionVocabulary) -> KaryotypeLesions:
    """The lesion classes the vocabulary reads in a karyotype: each rearrangement (by its
    label, synonym or ISCN pattern), a diploid stemline's gains and losses as ``+N`` /
    ``-N`` (a trisomy class that has ``+4`` as a synonym), and connected FISH signals as
    a fusion in either order."""
    candidates: list[tuple[str, tuple[str, ...]]] = [(r, (r,)) for r in karyotype.rearrangements]
    numeric = [f"+{c}" for c in karyotype.gains] + [f"-{c}" for c in karyotype.losses]
    mapped_numbers = karyotype.ploidy_level == 2
    candidates += [(n, (n,) if mapped_numbers else ()) for n in numeric]
    for fusion in karyotype.fish_fusions:
        first, second = fusion.split("::")
        candidates.append((fusion, (fusion, f"{second}::{first}")))
    lesions: list[str] = []
    unmapped: list[str] = []
    for text, spellings in candidates:
        iri = next((i for s in spellings if (i := vocabulary.resolve(s)) is not None), None)
        if iri is None:
            unmapped.append(text)
        elif iri not in lesions:
            lesions.append(iri)
    return KaryotypeLesions(tuple(lesions), _unique(unmapped))


def _resolve(text: str, written: tuple[WrittenClone, ...]) -> tuple[Clone, ...]:
    clones: list[Clone] = []
    for clone in written:
        if clone.reference is None:
            clones.append(_own_clone(clone))
            continue
        index = _referred(text, clone, clones)
        referred = clones[index]
        copies = clone.reference_copies
        inherited = tuple(replace(c, copies=c.copies * copies) for c in referred.changes)
        expected = None
        if _checked(clone) and referred.count[0] == referred.count[1]:
            expected = copies * referred.count[0] + sum(_effect(c, False) for c in clone.changes)
        clones.append(
            Clone(clone, inherited + clone.changes, referred.ploidy_level * copies, expected, index)
        )
    return tuple(clones)


def _own_clone(clone: WrittenClone) -> Clone:
    """A clone with its own sex chromosomes: the chromosome set its count fits best (an
    explicit ``<3n>`` fixes it)."""
    sex = len(clone.sex or "")
    net = sum(_effect(c, True) for c in clone.changes)
    levels = (clone.ploidy,) if clone.ploidy is not None else PLOIDY_LEVELS
    low, high = clone.count

    def distance(level: int) -> int:
        given = sex + AUTOSOMES_PER_SET * level + net
        return max(low - given, given - high, 0)

    level = min(levels, key=distance)
    expected = sex + AUTOSOMES_PER_SET * level + net if _checked(clone) else None
    return Clone(clone, clone.changes, level, expected)


def _referred(text: str, clone: WrittenClone, before: list[Clone]) -> int:
    """The index of the clone that idem, sl, sdl or sdlN names, among the abnormal
    clones before it."""
    abnormal = [i for i, c in enumerate(before) if not c.normal]
    reference = clone.reference or ""
    if reference in ("idem", "sl"):
        index = 0
    elif reference == "sdl":
        index = len(abnormal) - 1
    else:
        index = int(reference.removeprefix("sdl"))
    if not 0 <= index < len(abnormal):
        position = text.find(reference, clone.position - 1) + 1
        raise KaryotypeError(position, REFERENCE_EXPECTED, repr(reference))
    return abnormal[index]


def _checked(clone: WrittenClone) -> bool:
    return not (clone.composite or clone.incomplete)


def _effect(change: WrittenChange, own_sex_chromosomes: bool) -> int:
    """How many chromosomes a change adds to the count (negative: takes away)."""
    if change.sign == "+":
        return change.copies
    if change.sign == "-":
        lost_sex = change.whole_chromosome and change.body in SEX_CHROMOSOMES
        return 0 if lost_sex and own_sex_chromosomes else -change.copies
    if change.symbol in JOINING_SYMBOLS:
        return -(change.joined - 1) * change.copies
    return 0


def _count_error(index: int, clones: tuple[Clone, ...]) -> str | None:
    clone = clones[index]
    low, high = clone.count
    if clone.expected_count is None or low <= clone.expected_count <= high:
        return None
    written = clone.written
    count = f"{low}" if low == high else f"{low}~{high}"
    if written.reference is None:
        level = clone.ploidy_level
        net = clone.expected_count - len(written.sex or "") - AUTOSOMES_PER_SET * level
        given = (
            f"{AUTOSOMES_PER_SET * level} autosomes of the {PLOIDY_WORDS[level]} set, "
            f"the sex chromosomes {written.sex} and {net:+d} from the changes"
        )
    else:
        referred = clones[clone.refers_to or 0]
        copies = written.reference_copies
        times = f"{copies} x " if copies > 1 else ""
        own = clone.expected_count - copies * referred.count[0]
        given = (
            f"{times}the {referred.count[0]} of clone {(clone.refers_to or 0) + 1} that "
            f"{written.reference} refers to and {own:+d} from its own changes"
        )
    return (
        f"clone {index + 1} ({written.text}): the chromosome count {count} does not agree "
        f"with the changes written, which give {clone.expected_count} ({given})"
    )


def _gains_and_losses(stemline: Clone | None) -> tuple[dict[str, int], dict[str, int]]:
    net: dict[str, int] = {}
    for change in stemline.acquired if stemline is not None else ():
        if change.whole_chromosome:
            step = change.copies if change.sign == "+" else -change.copies
            net[change.body] = net.get(change.body, 0) + step
    ordered = sorted(net.items(), key=lambda item: _chromosome_order(item[0]))
    return (
        {chromosome: n for chromosome, n in ordered if n > 0},
        {chromosome: -n for chromosome, n in ordered if n < 0},
    )


def _chromosome_order(chromosome: str) -> tuple[int, str]:
    return (int(chromosome), "") if chromosome.isdigit() else (AUTOSOMES_PER_SET + 1, chromosome)


def _rearrangement_text(change: WrittenChange) -> str:
    return f"{'?' if change.uncertain else ''}{change.body}"


def _unique(texts: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for text in texts:
        if text not in out:
            out.append(text)
    return tuple(out)
