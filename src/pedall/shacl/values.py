"""The values the compiled shapes are evaluated on: native values, what is known of one
property of a focus node (``PathValues``), and three-valued (Kleene) logic.

Values of a focus node's property, as the evaluator sees them:
- ``URIRef`` for IRIs (coded values), ``bool``, ``int``/``float`` numbers, ``str`` strings;
- a ``frozenset`` of class IRIs for a lesion (its type closure), so ``sh:class`` is a
  membership test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from rdflib import Literal, URIRef

from pedall.errors import DataFileError

Value = URIRef | bool | int | float | str | frozenset[str]
Truth = bool | None  # None: not known yet (three-valued logic)


def to_native(term: object) -> Value:
    """An rdflib term as the evaluator's value."""
    if isinstance(term, URIRef):
        return term
    if isinstance(term, Literal):
        python = term.toPython()
        if isinstance(python, bool):
            return python
        if isinstance(python, int):
            return python
        if isinstance(python, (float, Decimal)):
            return float(python)
        return str(python)
    raise DataFileError(f"unsupported value in shapes: {term!r}")


def same_value(a: Value, b: Value) -> bool:
    """RDF term equality on natives: true is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, URIRef) or isinstance(b, URIRef):
        return isinstance(a, URIRef) and isinstance(b, URIRef) and a == b
    return a == b


@dataclass(frozen=True)
class PathValues:
    """What is known of one property of a focus node.

    ``values`` are certainly present; ``maybe`` may be present (derived by a rule whose
    condition is not decided yet); ``open`` means the field is missing and any single value
    of its domain may complete it.
    """

    values: tuple[Value, ...] = ()
    maybe: tuple[Value, ...] = ()
    open: bool = False

    @property
    def decided(self) -> bool:
        return not self.maybe and not self.open

    @cached_property
    def fingerprint(self) -> object:
        """What a condition can tell apart, as a small number shared by equal facts
        (computed once per object). Types are kept because Python equates ``True`` with
        ``1`` and ``1`` with ``1.0``; SHACL does not."""
        raw = (
            self.values,
            tuple(type(v) for v in self.values),
            self.maybe,
            tuple(type(v) for v in self.maybe),
            self.open,
        )
        token = _FINGERPRINTS.get(raw)
        if token is None:
            with _FINGERPRINT_LOCK:  # two threads must not hand out the same number
                token = _FINGERPRINTS.get(raw)
                if token is None:
                    if len(_FINGERPRINTS) >= _FINGERPRINT_LIMIT:
                        return raw  # never equal to a number: correct, only not shared
                    token = _FINGERPRINTS[raw] = len(_FINGERPRINTS)
        return token


# Fingerprints handed out so far (they are never reassigned, so they can key memos).
_FINGERPRINTS: dict[tuple[object, ...], int] = {}
_FINGERPRINT_LIMIT = 1_000_000
_FINGERPRINT_LOCK = threading.Lock()


EMPTY = PathValues()
Facts = Mapping[str, PathValues]


def kleene_and(truths: Iterable[Truth]) -> Truth:
    """Strong Kleene conjunction: False if any is False, else unknown if any is unknown."""
    result: Truth = True
    for truth in truths:
        if truth is False:
            return False
        if truth is None:
            result = None
    return result


def kleene_or(truths: Iterable[Truth]) -> Truth:
    """Strong Kleene disjunction: True if any is True, else unknown if any is unknown."""
    result: Truth = False
    for truth in truths:
        if truth is True:
            return True
        if truth is None:
            result = None
    return result


def kleene_not(truth: Truth) -> Truth:
    """Kleene negation: unknown stays unknown."""
    return None if truth is None else not truth
