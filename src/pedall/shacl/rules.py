"""The SHACL-AF triple rules applied to a focus node's facts: what each derived predicate
depends on, and a rule runner that remembers condition truths by the facts they read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

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


@dataclass(frozen=True)
class _Segment:
    """Consecutive rules none of which reads a predicate that an earlier rule of the
    segment writes, so the truths of all their conditions follow from the facts at the
    segment's start. ``groups``: the segment's rules by the paths their conditions read
    (rules reading the same paths are evaluated together), as (paths, rule indices)."""

    rules: tuple[int, ...]
    groups: tuple[tuple[int, tuple[str, ...], tuple[int, ...]], ...]  # (id, paths, rules)
    written: tuple[str, ...]  # the predicates its rules write


def _segments(rules: list[TripleRule]) -> tuple[_Segment, ...]:
    """The rules cut into segments, in rule order."""
    cuts: list[list[int]] = [[]]
    written: set[str] = set()
    for index, rule in enumerate(rules):
        if any(p in written for c in rule.conditions for p in c.paths()):
            cuts.append([])
            written = set()
        cuts[-1].append(index)
        written.add(rule.predicate)
    segments = []
    group_ids = 0
    for members in (cut for cut in cuts if cut):
        by_reads: dict[tuple[str, ...], list[int]] = {}
        for index in members:
            paths = tuple(sorted({p for c in rules[index].conditions for p in c.paths()}))
            by_reads.setdefault(paths, []).append(index)
        groups: list[tuple[int, tuple[str, ...], tuple[int, ...]]] = []
        for reads, indices in by_reads.items():
            groups.append((group_ids, reads, tuple(indices)))
            group_ids += 1
        predicates = tuple(dict.fromkeys(rules[i].predicate for i in members))
        segments.append(_Segment(tuple(members), tuple(groups), predicates))
    return tuple(segments)


Picker = Callable[[list[object]], object]
_SegmentPlan = tuple[_Segment, tuple[tuple[int, Picker, tuple[int, ...]], ...], Picker]


def _no_paths(_: list[object]) -> object:
    return ()


@dataclass
class RuleRunner:
    """Applies the rules in order to a focus node's facts: a rule whose conditions hold
    adds its value, one whose conditions are undecided adds it as 'maybe'.

    The rules are applied segment by segment (``_Segment``). It remembers the truths of
    each group of rules by the facts their conditions read (a condition reads only its own
    paths, so equal facts there give the same truths), and what a segment adds by those
    truths and the facts it finds of the predicates it writes. With values reduced to one
    per threshold region, the memos stay as small as the regions the shapes cut, whatever
    the size of the cohort."""

    rules: list[TripleRule]
    limit: int = 200_000
    # Every path a group reads or a segment writes, in the order of a run's fingerprints,
    # and each segment with what picks its groups' and its written paths' fingerprints.
    _paths: tuple[str, ...] = field(init=False)
    _place: dict[str, int] = field(init=False)
    _plan: tuple[_SegmentPlan, ...] = field(init=False)
    _truths: dict[tuple[object, ...], tuple[Truth, ...]] = field(init=False, default_factory=dict)
    _added: dict[tuple[object, ...], dict[str, PathValues]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        segments = _segments(self.rules)
        paths = {p for seg in segments for _, reads, _ in seg.groups for p in reads}
        paths |= {p for seg in segments for p in seg.written}
        self._paths = tuple(sorted(paths))
        self._place = {path: place for place, path in enumerate(self._paths)}
        self._plan = tuple(
            (
                segment,
                tuple(
                    (number, self._picker(reads), members)
                    for number, reads, members in segment.groups
                ),
                self._picker(segment.written),
            )
            for segment in segments
        )

    def _picker(self, paths: tuple[str, ...]) -> Picker:
        """What picks the fingerprints of ``paths`` out of a run's (one value for one
        path, a tuple for several)."""
        if not paths:
            return _no_paths
        return itemgetter(*(self._place[p] for p in paths))

    def apply(self, facts: Facts) -> dict[str, PathValues]:
        """Facts plus what the rules derive, in rule order; undecided conditions give
        'maybe'."""
        if len(self._truths) >= self.limit or len(self._added) >= self.limit:
            self._truths.clear()  # raw, unreduced values: keep memory bounded
            self._added.clear()
        derived = dict(facts)
        get = facts.get
        # The fingerprint of each path a group reads, kept up to date as segments add facts
        # (one pass over the paths, then each group's key picked out in C).
        prints: list[object] = [
            None if (k := get(p)) is None else k.fingerprint for p in self._paths
        ]
        place = self._place
        remembered = self._truths
        for segment, groups, held in self._plan:
            truths: list[tuple[Truth, ...]] = []
            for number, reads, members in groups:
                read = (number, reads(prints))
                found = remembered.get(read)
                if found is None:
                    found = remembered[read] = self._evaluate(members, derived)
                truths.append(found)
            key = (segment.rules[0], tuple(truths), held(prints))
            added = self._added.get(key)
            if added is None:
                added = self._added[key] = self._add(segment, key[1], derived)
            if added:
                derived.update(added)
                for path, known in added.items():
                    prints[place[path]] = known.fingerprint
        return derived

    def _evaluate(self, members: tuple[int, ...], derived: Facts) -> tuple[Truth, ...]:
        """The condition truths of a group's rules (``members``) under ``derived``; the
        runner remembers them by the group and the fingerprints of the paths it reads."""
        return tuple(
            kleene_and(c.evaluate(derived) for c in self.rules[i].conditions) for i in members
        )

    def _add(
        self, segment: _Segment, truths: tuple[tuple[Truth, ...], ...], derived: Facts
    ) -> dict[str, PathValues]:
        """What the segment's rules add to ``derived``, applied in rule order."""
        truth_of = {
            index: truth
            for (_, _, members), group in zip(segment.groups, truths, strict=True)
            for index, truth in zip(members, group, strict=True)
        }
        added: dict[str, PathValues] = {}
        for index in segment.rules:
            truth = truth_of[index]
            if truth is False:
                continue
            rule = self.rules[index]
            known = added.get(rule.predicate) or derived.get(rule.predicate, EMPTY)
            result = _derive(known, rule.object, truth)
            if result is not None:
                added[rule.predicate] = result
        return added
