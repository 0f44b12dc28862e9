"""The SHACL-AF triple rules applied to a focus node's facts: what each derived predicate
depends on, and a rule runner that remembers condition truths by the facts they read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from pedall.shacl.shapes import TripleRule
from pedall.shacl.values import EMPTY, Facts, PathValues, Truth, Value, kleene_and, same_value


def _derive(known: PathValues, value: Value, truth: Truth) -> PathValues | None:
    """The predicate's facts once a rule whose condition is ``truth`` (True or None) adds
    ``value``; None when they do not change."""
    if any(same_value(v, value) for v in known.values):
        return None
    if truth is True:
        maybe = tuple(v for v in known.maybe if not same_value(v, value))
        return PathValues((*known.values, value), maybe, known.open)
    if any(same_value(v, value) for v in known.maybe):
        return None
    return PathValues(known.values, (*known.maybe, value), known.open)


def rule_dependencies(rules: list[TripleRule]) -> dict[str, set[str]]:
    """For each derived predicate, the input predicates it is computed from (transitively)."""
    direct: dict[str, set[str]] = {}
    for rule in rules:
        for condition in rule.conditions:
            direct.setdefault(rule.predicate, set()).update(condition.paths())
    resolved: dict[str, set[str]] = {}
    for predicate in direct:
        seen: set[str] = set()
        stack = [predicate]
        while stack:
            current = stack.pop()
            for dep in direct.get(current, set()):
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        resolved[predicate] = seen
    return resolved


_UNKNOWN = object()


@dataclass
class RuleRunner:
    """Applies the rules in order to a focus node's facts: a rule whose conditions hold
    adds its value, one whose conditions are undecided adds it as 'maybe'. It remembers
    each rule's condition truth by the facts its conditions read (a condition reads only
    its own paths, so equal facts there give the same truth), and what each rule adds to
    the facts it finds. With values reduced to one per threshold region, both memos stay
    as small as the regions the shapes cut, whatever the size of the cohort."""

    rules: list[TripleRule]
    limit: int = 200_000
    _reads: list[tuple[str, ...]] = field(init=False)
    _truths: dict[tuple[object, ...], Truth] = field(init=False, default_factory=dict)
    _added: dict[tuple[int, Truth, object], PathValues | None] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._reads = [
            tuple(sorted({p for c in rule.conditions for p in c.paths()})) for rule in self.rules
        ]

    def apply(self, facts: Facts) -> dict[str, PathValues]:
        """Facts plus what the rules derive, in rule order; undecided conditions give
        'maybe'."""
        if len(self._truths) >= self.limit or len(self._added) >= self.limit:
            self._truths.clear()  # raw, unreduced values: keep memory bounded
            self._added.clear()
        derived = dict(facts)
        truths, added, get = self._truths, self._added, derived.get
        for index, reads in enumerate(self._reads):
            key = (index, *[None if (k := get(p)) is None else k.fingerprint for p in reads])
            cached = truths.get(key, _UNKNOWN)
            if cached is _UNKNOWN:
                rule = self.rules[index]
                truth = truths[key] = kleene_and(c.evaluate(derived) for c in rule.conditions)
            else:
                truth = cast(Truth, cached)
            if truth is False:
                continue
            predicate = self.rules[index].predicate
            known = derived.get(predicate, EMPTY)
            step = (index, truth, known.fingerprint)
            found = added.get(step, _UNKNOWN)
            if found is _UNKNOWN:
                result = added[step] = _derive(known, self.rules[index].object, truth)
            else:
                result = cast(PathValues | None, found)
            if result is not None:
                derived[predicate] = result
        return derived
