"""The lesion cells of a patient table (``lesions`` and ``lesions_pending``): split into
codes (ISCN translocations such as ``t(9;22)`` kept whole), each code read through the
ontology's lesion vocabulary, an error for each unknown code and a warning for each bare
gene symbol. A table repeats a few lesion cells many times: ``LesionCells`` reads each
distinct cell once."""

from __future__ import annotations

from dataclasses import dataclass, field

from pedall.patients.model import ANY_LESION, LESIONS_COLUMN, PatientModel

LESION_SEPARATOR = ";"
ALL_PENDING = "all"  # the lesions_pending cell of a patient with no genetic result back
REMEMBERED_CELLS = 4_096  # bound on the distinct cells remembered (memory, not data)

# One issue of a cell: (value, message, severity).
Reported = tuple[str, str, str]


def split_lesions(text: str) -> list[str]:
    """The codes of a lesions cell: ``;``-separated, except inside parentheses, so that
    ISCN translocations such as ``t(9;22)`` stay whole."""
    if "(" not in text:
        return text.split(LESION_SEPARATOR)
    codes: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == LESION_SEPARATOR and depth == 0:
            codes.append("".join(current))
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        depth = max(depth, 0)
        current.append(char)
    codes.append("".join(current))
    return codes


def gene_symbol_warnings(text: str, model: PatientModel) -> list[Reported]:
    """A warning for each bare gene symbol of a lesions cell that is read as a lesion
    (``MLL`` is read as a KMT2A rearrangement), saying what it was read as."""
    out = []
    for code in split_lesions(text):
        iri = model.lesions.resolve(code)
        if iri is not None and model.lesions.is_gene_symbol(code):
            label = model.lesions.display.get(iri, iri)
            out.append(
                (
                    code.strip(),
                    f"{code.strip()!r} is a gene symbol, read as the lesion {label!r}; "
                    "write the lesion itself to be sure",
                    "warning",
                )
            )
    return out


def read_lesion_codes(
    text: str, model: PatientModel, also: str | None = None
) -> tuple[list[str], list[Reported]]:
    """The lesion classes of a cell's codes (each once, in order), and an error for each
    unknown code (with the closest codes, and ``also`` as another accepted value)."""
    lesions: list[str] = []
    unknown: list[Reported] = []
    for code in split_lesions(text):
        if not code.strip():
            continue
        iri = model.lesions.resolve(code)
        if iri is None:
            suggestions = model.lesions.closest(code)
            hint = (
                f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
            )
            if also is not None:
                hint += f" (expected lesion codes as in {LESIONS_COLUMN}, or {also!r})"
            unknown.append((code.strip(), f"unknown lesion code {code.strip()!r}{hint}", "error"))
        elif iri not in lesions:
            lesions.append(iri)
    return lesions, unknown


@dataclass
class LesionCells:
    """The lesion cells of one table, each distinct cell read once."""

    model: PatientModel
    _lesions: dict[str, tuple[tuple[str, ...], tuple[Reported, ...]]] = field(
        default_factory=dict, repr=False
    )
    _pending: dict[str, tuple[frozenset[str], tuple[Reported, ...]]] = field(
        default_factory=dict, repr=False
    )

    def lesions(self, text: str) -> tuple[tuple[str, ...], tuple[Reported, ...]]:
        """A ``lesions`` cell: its lesion classes, then its errors and warnings."""
        found = self._lesions.get(text)
        if found is None:
            lesions, unknown = read_lesion_codes(text, self.model)
            found = (tuple(lesions), (*unknown, *gene_symbol_warnings(text, self.model)))
            if len(self._lesions) < REMEMBERED_CELLS:
                self._lesions[text] = found
        return found

    def pending(self, text: str) -> tuple[frozenset[str], tuple[Reported, ...]]:
        """A ``lesions_pending`` cell: codes as in ``lesions``, or ``all`` (every lesion:
        no genetic result is back); and its errors."""
        found = self._pending.get(text)
        if found is None:
            if text.strip().lower() == ALL_PENDING:
                found = (frozenset({ANY_LESION}), ())
            else:
                lesions, unknown = read_lesion_codes(text, self.model, ALL_PENDING)
                found = (frozenset(lesions), tuple(unknown))
            if len(self._pending) < REMEMBERED_CELLS:
                self._pending[text] = found
        return found
