"""Lesion codes as reports write them: spelling variants and ISCN rearrangements.

Nothing here knows a lesion. A code is compared with the ontology's labels and synonyms
without case, spaces, hyphens, underscores, colons or slashes (``BCR::ABL1``, ``bcr abl1``
and ``BCR/ABL1`` are one spelling; ``trisomy-4`` is ``trisomy 4``). An ISCN rearrangement
(``t(9;22)(q34.1;q11.2)``, ``der(19)t(1;19)(q23;p13)``) is read by a generic tokenizer and
matched against the ``pedall:iscnPattern`` values of the lesion classes: the same kind of
rearrangement on the same chromosomes (and the same derivative, if any), with breakpoints
that agree at the precision written (a band matches its sub-bands).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LOOSE_SEPARATORS = re.compile(r"[\s\-_:/]+")
# An ISCN rearrangement: an optional derivative, a rearrangement symbol, the chromosomes,
# and optionally the breakpoints, e.g. der(19)t(1;19)(q23;p13).
ISCN_REARRANGEMENT = re.compile(
    r"^(?:der\((?P<derivative>[0-9XY]+)\))?"
    r"(?P<kind>[a-z]+)\((?P<chromosomes>[0-9XY]+(?:;[0-9XY]+)+)\)"
    r"(?:\((?P<bands>[pq][0-9.]*(?:;[pq][0-9.]*)+)\))?$",
    re.IGNORECASE,
)


def loose_key(code: str) -> str:
    """A code without case or separators: how two spellings of one name are compared."""
    return LOOSE_SEPARATORS.sub("", code.strip().lower())


@dataclass(frozen=True)
class Rearrangement:
    """One ISCN rearrangement as written: ``der(19)t(1;19)(q23;p13)``."""

    derivative: str | None
    kind: str
    chromosomes: tuple[str, ...]
    bands: tuple[str, ...] | None  # None: breakpoints not written

    @classmethod
    def parse(cls, text: str) -> Rearrangement | None:
        """The rearrangement a code writes, or None when it is not one."""
        found = ISCN_REARRANGEMENT.match("".join(text.split()))
        if found is None:
            return None
        chromosomes = tuple(found["chromosomes"].upper().split(";"))
        bands = tuple(found["bands"].lower().split(";")) if found["bands"] else None
        if bands is not None and len(bands) != len(chromosomes):
            return None
        derivative = found["derivative"].upper() if found["derivative"] else None
        return cls(derivative, found["kind"].lower(), chromosomes, bands)

    def matches(self, pattern: Rearrangement) -> bool:
        """Whether this written rearrangement is an instance of ``pattern``."""
        if (self.derivative, self.kind, self.chromosomes) != (
            pattern.derivative,
            pattern.kind,
            pattern.chromosomes,
        ):
            return False
        if self.bands is None or pattern.bands is None:
            return True
        return all(_same_band(a, b) for a, b in zip(self.bands, pattern.bands, strict=True))


def _same_band(written: str, pattern: str) -> bool:
    """Bands agree when one refines the other (q34.1 is within q34, q3 holds q34)."""
    a, b = written.rstrip("."), pattern.rstrip(".")
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class NotationIndex:
    """Loose spellings and ISCN patterns of the lesion classes."""

    loose: Mapping[str, str]  # loose key -> lesion class IRI (keys of one class only)
    patterns: tuple[tuple[Rearrangement, str], ...]

    @classmethod
    def build(
        cls, names: Iterable[tuple[str, str]], patterns: Iterable[tuple[str, str]]
    ) -> NotationIndex:
        """From (name, IRI) pairs and (ISCN pattern, IRI) pairs; a loose key that two
        classes share is left out (it would be a guess)."""
        owners: dict[str, set[str]] = {}
        for name, iri in names:
            owners.setdefault(loose_key(name), set()).add(iri)
        loose = {key: next(iter(iris)) for key, iris in owners.items() if len(iris) == 1}
        parsed = []
        for text, iri in patterns:
            rearrangement = Rearrangement.parse(text)
            if rearrangement is None:
                from pedall.errors import DataFileError

                raise DataFileError(f"<{iri}>: pedall:iscnPattern {text!r} is not ISCN")
            parsed.append((rearrangement, iri))
        return cls(loose, tuple(sorted(parsed, key=lambda p: (p[1], str(p[0])))))

    def resolve(self, code: str) -> str | None:
        """The lesion class a code stands for by its loose spelling or its ISCN form."""
        iri = self.loose.get(loose_key(code))
        if iri is not None:
            return iri
        written = Rearrangement.parse(code)
        if written is None:
            return None
        found = {iri for pattern, iri in self.patterns if written.matches(pattern)}
        return next(iter(found)) if len(found) == 1 else None
