"""The ISCN 2020/2024 karyotype notation that ALL cytogenetics reports use, as a grammar.

Notation only, no lesion: this reads what a report writes (clones with their chromosome
count, sex chromosomes or ``idem``/``sl``/``sdl``, the changes and the cell count; the FISH
part after a ``.``) and hands it on normalised; which rearrangement is which lesion is the
ontology's ``pedall:iscnPattern`` data. A karyotype that does not read raises
:class:`~pedall.errors.KaryotypeError` with the 1-based position, what was expected there
and what was found, e.g. ``46,XY,foo`` -> "at position 7: expected a gain (+N), ...".

The subset read: ``45~47`` count ranges and ``<3n>`` ploidy; ``+4``, ``-7``, ``+21c``,
``+mar``, ``+2mar``, ``+r``; ``t``, ``der``, ``del``, ``dup``, ``trp``, ``inv``, ``i``,
``idic``, ``dic``, ``rob``, ``add``, ``ins``, ``r``, ``hsr`` with chromosome arms (``i(9q)``)
and bands at any precision, ``?`` and ``~`` as written; ``x2`` multiplicity; ``inc``;
``[20]`` and ``[cp8]``; ``nuc ish``/``ish`` probe lists with ``con``/``sep`` and signal
counts. Not read: the detailed system (``::``, ``->``), chimeras (``//``) and ``mos``/``chi``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import pyparsing as pp

from pedall.errors import KaryotypeError

# The change symbols read here; "der" is read apart, as it carries further rearrangements.
STRUCTURAL_SYMBOLS = (
    "idic",
    "ins",
    "inv",
    "i",
    "del",
    "dic",
    "dup",
    "trp",
    "add",
    "rob",
    "hsr",
    "t",
    "r",
)
CHANGE_EXPECTED = (
    "a gain (+N), a loss (-N), a rearrangement such as t(9;22)(q34;q11), "
    "der(19)t(1;19)(q23;p13), del(9)(p21) or i(7)(q10), a marker (+mar) or inc"
)


@dataclass(frozen=True)
class WrittenChange:
    """One change of a clone as written: ``+21c``, ``-7``, ``der(19)t(1;19)(q23;p13)``."""

    sign: str  # "+", "-", or "" for a structural change that replaces a normal homologue
    body: str  # normalised: "21", "X", "mar", "r", "t(9;22)(q34.1;q11.2)"
    symbol: str  # "chromosome" (whole), "marker", or the ISCN symbol ("t", "der", "dic" ...)
    joined: int  # chromosomes the symbol joins: der(1;7), dic(9;20), rob(13;21) join two
    copies: int = 1  # the x2 of a multiplied change, the 2 of +2mar
    constitutional: bool = False  # marked c
    uncertain: bool = False  # marked ?

    @property
    def whole_chromosome(self) -> bool:
        return self.symbol == "chromosome"

    @property
    def text(self) -> str:
        """The change as written, normalised: ``+21c``, ``?t(9;22)(q34;q11.2)``, ``+2mar``."""
        copies = f"x{self.copies}" if self.copies > 1 and self.symbol != "marker" else ""
        count = str(self.copies) if self.copies > 1 and self.symbol == "marker" else ""
        mark = "c" if self.constitutional else ""
        return f"{'?' if self.uncertain else ''}{self.sign}{count}{self.body}{mark}{copies}"


@dataclass(frozen=True)
class WrittenClone:
    """One clone as written, between ``/``: its count, sex chromosomes or reference to an
    earlier clone, its own changes and its cell count."""

    position: int  # 1-based character position where the clone begins
    count: tuple[int, int]  # (least, greatest); one number is (n, n)
    ploidy: int | None  # an explicit <3n>
    sex: str | None  # "XY", "X", "XXY"; None when the clone refers to another
    reference: str | None  # "idem", "sl", "sdl", "sdl2"
    reference_copies: int  # 2 for idemx2
    changes: tuple[WrittenChange, ...]
    incomplete: bool  # inc: not every change could be identified
    cells: int | None
    composite: bool  # [cp8]

    @property
    def text(self) -> str:
        low, high = self.count
        head = [f"{low}" if low == high else f"{low}~{high}"]
        if self.ploidy is not None:
            head[0] += f"<{self.ploidy}n>"
        if self.reference is not None:
            copies = f"x{self.reference_copies}" if self.reference_copies > 1 else ""
            head.append(self.reference + copies)
        else:
            head.append(self.sex or "")
        parts = head + [c.text for c in self.changes] + (["inc"] if self.incomplete else [])
        cells = f"[{'cp' if self.composite else ''}{self.cells}]" if self.cells is not None else ""
        return ",".join(parts) + cells


@dataclass(frozen=True)
class WrittenFish:
    """One FISH result (``nuc ish`` interphase, ``ish`` metaphase), kept as written, with
    the probe pairs whose signals it writes as connected (``ETV6 con RUNX1``)."""

    text: str
    connected: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WrittenKaryotype:
    clones: tuple[WrittenClone, ...]
    fish: tuple[WrittenFish, ...]


def read_karyotype(text: str) -> WrittenKaryotype:
    """The clones and FISH results a karyotype writes, or a located KaryotypeError.

    >>> read_karyotype("46,XY,t(12;21)(p13;q22)[15]/46,XY[5]").clones[0].changes[0].body
    't(12;21)(p13;q22)'
    """
    try:
        found = _KARYOTYPE.parse_string(text, parse_all=True)
    except pp.ParseBaseException as error:
        raise _located(text, error) from None
    clones = tuple(t for t in found if isinstance(t, WrittenClone))
    fish = tuple(t for t in found if isinstance(t, WrittenFish))
    return WrittenKaryotype(clones, fish)


def _located(text: str, error: pp.ParseBaseException) -> KaryotypeError:
    expected = error.msg.removeprefix("Expected ")
    return KaryotypeError(error.loc + 1, expected, _found_at(text, error.loc))


def _found_at(text: str, loc: int) -> str:
    if loc >= len(text.rstrip()):
        return "the end of the karyotype"
    word = re.match(r"[^,/\[\]();.\s]+|.", text[loc:])
    return repr(word.group(0) if word else text[loc])


def _fail(loc: int, expected: str) -> pp.ParseFatalException:
    return pp.ParseFatalException("", loc, f"Expected {expected}")


def _named(element: pp.ParserElement, name: str) -> pp.ParserElement:
    return element.set_name(name)


def _value(tokens: pp.ParseResults, name: str) -> str | None:
    """A named result, None when absent (a regex group that did not take part is None)."""
    value = tokens.as_dict().get(name)
    return str(value) if value not in (None, "") else None


# Chromosomes: 1-22, X, Y, or ? for one not identified; an arm (p or q) where ISCN allows.
_CHROMOSOME_NAME = "a chromosome (1-22, X or Y)"


def _chromosome_action(s: str, loc: int, tokens: pp.ParseResults) -> str:
    written = str(tokens[0])
    number = written.rstrip("pq")
    if number.isdigit() and not 1 <= int(number) <= 22:
        raise _fail(loc, _CHROMOSOME_NAME)
    return written


_ARM_CHROMOSOME = _named(pp.Regex(r"(?:[1-9][0-9]?|[XY]|\?)[pq]?"), _CHROMOSOME_NAME)
_ARM_CHROMOSOME.set_parse_action(_chromosome_action)
_CHROMOSOMES = pp.Group(pp.DelimitedList(_ARM_CHROMOSOME, ";"))

_BAND_POINT = r"(?:[pq](?:ter|\d+(?:\.\d+)?)?|cen|\?)\??"
_BAND = _named(
    pp.Regex(rf"{_BAND_POINT}(?:~(?:{_BAND_POINT}|\d+(?:\.\d+)?\??))?"),
    "a band such as q34, q11.2, p13 or pter",
)
_BAND_RUN = pp.Combine(pp.OneOrMore(_BAND), adjacent=True)
_BANDS = pp.Group(
    pp.Suppress("(") - pp.DelimitedList(_BAND_RUN, ";") - _named(pp.Suppress(")"), "')'")
)


class _Body(NamedTuple):
    """What a change is, before its sign and marks: t(9;22)(q34;q11.2), 21, 2mar."""

    symbol: str
    text: str
    joined: int
    copies: int = 1


def _rearrangement_action(tokens: pp.ParseResults) -> _Body:
    symbol, chromosomes = str(tokens[0]), list(tokens[1])
    bands = f"({';'.join(tokens[2])})" if len(tokens) > 2 else ""
    return _Body(symbol, f"{symbol}({';'.join(chromosomes)}){bands}", len(chromosomes))


_SYMBOL = pp.Regex(rf"(?:{'|'.join(STRUCTURAL_SYMBOLS)})(?=\()")
_REARRANGEMENT = (
    _SYMBOL + pp.Suppress("(") - _CHROMOSOMES - _named(pp.Suppress(")"), "')'") + pp.Opt(_BANDS)
)
_REARRANGEMENT.set_parse_action(_rearrangement_action)
_DERIVATIVE = (
    pp.Regex(r"der(?=\()")
    + pp.Suppress("(")
    - _CHROMOSOMES
    - _named(pp.Suppress(")"), "')'")
    + pp.Group(pp.ZeroOrMore(_REARRANGEMENT))
    + pp.Opt(_BANDS)
)


def _derivative_action(tokens: pp.ParseResults) -> _Body:
    chromosomes = list(tokens[1])
    inner = "".join(r.text for r in tokens[2])
    bands = f"({';'.join(tokens[3])})" if len(tokens) > 3 else ""
    return _Body("der", f"der({';'.join(chromosomes)}){inner}{bands}", len(chromosomes))


_DERIVATIVE.set_parse_action(_derivative_action)
_MARKER = pp.Regex(r"(?P<n>[1-9][0-9]*)?(?P<what>mar[0-9]*|r(?!\())")
_MARKER.set_parse_action(lambda t: _Body("marker", t["what"], 1, int(_value(t, "n") or 1)))
_WHOLE = _named(pp.Regex(r"[1-9][0-9]?|[XY]"), _CHROMOSOME_NAME)
_WHOLE.set_parse_action(_chromosome_action, lambda t: _Body("chromosome", str(t[0]), 1))
_STRUCTURAL = _DERIVATIVE | _REARRANGEMENT
_SIGN = pp.one_of("+ -")
_MULTIPLICITY = pp.Regex(r"x(?P<copies>[1-9][0-9]*)").leave_whitespace()
_MARKS = pp.Opt(pp.Literal("c").leave_whitespace()("c")) + pp.Opt(_MULTIPLICITY)
_SIGNED = _SIGN("sign") - _named(
    _MARKER | _STRUCTURAL | _WHOLE, "a chromosome (1-22, X or Y), a marker (mar) or a rearrangement"
)
_CHANGE = pp.Opt(pp.Literal("?")("uncertain")) + (_SIGNED | _STRUCTURAL) + _MARKS


def _change_action(tokens: pp.ParseResults) -> WrittenChange:
    body = next(t for t in tokens if isinstance(t, _Body))
    return WrittenChange(
        sign=_value(tokens, "sign") or "",
        body=body.text,
        symbol=body.symbol,
        joined=body.joined,
        copies=body.copies * int(_value(tokens, "copies") or 1),
        constitutional="c" in tokens,
        uncertain="uncertain" in tokens,
    )


_CHANGE.set_parse_action(_change_action)
_INCOMPLETE = pp.Keyword("inc").set_parse_action(lambda: ["inc"])
_ITEM = _named(_CHANGE | _INCOMPLETE, CHANGE_EXPECTED)

_COUNT = _named(
    pp.Regex(r"(?P<low>[0-9]{1,3})(?:~(?P<high>[0-9]{1,3}))?(?:<(?P<ploidy>[1-9])n>)?"),
    "a chromosome count such as 46 or 45~47",
)
_SEX = pp.Regex(r"[XY]+")("sex")
_REFERENCE = pp.Regex(r"(?P<reference>idem|sl|sdl[0-9]*)(?:\s*x(?P<reference_copies>[0-9]+))?")
_CELLS = _named(
    pp.Suppress("[")
    - pp.Opt(pp.Literal("cp")("composite"))
    + _named(pp.Regex(r"[0-9]+")("cells"), "a number of cells")
    - _named(pp.Suppress("]"), "']'"),
    "a cell count such as [20] or [cp8]",
)
_CLONE = (
    _COUNT
    - _named(pp.Suppress(","), "',' after the chromosome count")
    - _named(_REFERENCE | _SEX, "the sex chromosomes (XX, XY, X ...), or idem, sl or sdl")
    + pp.Group(pp.ZeroOrMore(pp.Suppress(",") - _ITEM))("items")
    + pp.Opt(_CELLS)
)


def _clone_action(s: str, loc: int, tokens: pp.ParseResults) -> WrittenClone:
    low = int(tokens["low"])
    high = int(_value(tokens, "high") or low)
    if high < low:
        raise _fail(loc, f"a count range from the lower count to the higher ({low} > {high})")
    items = list(tokens["items"])
    return WrittenClone(
        position=loc + 1,
        count=(low, high),
        ploidy=int(ploidy) if (ploidy := _value(tokens, "ploidy")) else None,
        sex=str(tokens["sex"]) if "sex" in tokens else None,
        reference=str(tokens["reference"]) if "reference" in tokens else None,
        reference_copies=int(_value(tokens, "reference_copies") or 1),
        changes=tuple(i for i in items if isinstance(i, WrittenChange)),
        incomplete="inc" in items,
        cells=int(tokens["cells"]) if "cells" in tokens else None,
        composite="composite" in tokens,
    )


_CLONE.set_parse_action(_clone_action)

# FISH: a probe (gene or locus name) with its signals: ETV6x2, RUNX1 amp, ABL1+, KMT2Ax1~2.
_PROBE = _named(
    pp.Regex(
        r"(?P<probe>[A-Za-z0-9'@][A-Za-z0-9'@]*?)"
        r"(?:x[0-9]+(?:~[0-9]+)?|\s*amp|\+\+|\+|--|-)?(?=[\s,)]|$)"
    ),
    "a probe such as ETV6 or RUNX1x3",
)
_PROBE.set_parse_action(lambda t: [("probe", str(t["probe"]))])
_PROBE_JOIN = pp.one_of(", con sep").set_parse_action(lambda t: [("join", str(t[0]))])
_PROBES = pp.Group(
    pp.Suppress("(")
    - _PROBE
    + pp.ZeroOrMore(_PROBE_JOIN - _PROBE)
    - _named(pp.Suppress(")"), "')' after the probes")
    + pp.Opt(pp.Suppress(_MULTIPLICITY))
)
_FISH_CELLS = pp.Suppress("[") - pp.Regex(r"[0-9]+(?:/[0-9]+)?") - pp.Suppress("]")
_FISH = _named(
    pp.Located(
        _named(pp.Regex(r"nuc\s+ish|ish"), "a FISH result such as nuc ish(ETV6,RUNX1)x2[200]")
        - _named(_PROBES, "a probe list in parentheses such as (ETV6,RUNX1)x2")
        + pp.ZeroOrMore(pp.Opt(pp.Suppress(",")) + _PROBES)
        + pp.Opt(_FISH_CELLS)
    ),
    "a FISH result such as nuc ish(ETV6,RUNX1)x2[200]",
)


def _fish_action(s: str, loc: int, tokens: pp.ParseResults) -> WrittenFish:
    start, found, end = tokens
    connected = []
    for group in found:
        if not isinstance(group, pp.ParseResults):
            continue
        parts = list(group)
        for before, join, after in zip(parts, parts[1:], parts[2:], strict=False):
            if join == ("join", "con") and before[0] == "probe" and after[0] == "probe":
                connected.append((str(before[1]), str(after[1])))
    return WrittenFish(" ".join(s[start:end].split()), tuple(connected))


_FISH.set_parse_action(_fish_action)
_FISH_PARTS = _FISH + pp.ZeroOrMore(pp.Suppress(".") - _FISH)
_CLONES = _CLONE + pp.ZeroOrMore(_named(pp.Suppress("/"), "'/'") - _CLONE)
_KARYOTYPE = _named(
    _FISH_PARTS | _CLONES + pp.Opt(pp.Suppress(".") - _FISH_PARTS),
    "a karyotype beginning with its chromosome count (e.g. 46,XX) or a FISH result (nuc ish)",
) + _named(
    pp.StringEnd(),
    "',' and a change, a cell count such as [20], '/' and the next clone, "
    "'.' and a FISH result, or the end of the karyotype",
)
