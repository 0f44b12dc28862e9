"""Patient data quality: the data-quality shapes checked two ways, compiled (the default)
and with pyshacl (the reference), and reported per patient, field and value.

The shapes (``shapes/patient-data.ttl``, with the derived-finding conditions they reuse)
are the one source of the rules. A *reporting shape* is a property shape of a node shape
that targets ``pedall:Patient``, or such a node shape's own node-level constraints
(``sh:not``, ``sh:or``, ...). Each reporting shape gives at most one issue a patient, with
its ``sh:message`` and ``sh:severity`` (``sh:Violation`` is an error, anything else a
warning), the column of its ``sh:path`` (a node-level shape names its column with
``pedall:reportedPath``) and the patient's value there, as read.

The compiled checker evaluates the compiled checks (``pedall.validate.checks``) on each
record; the reference checker writes the records as RDF and runs pyshacl with the ontology and
OWL RL inference. Both give the same issues, in the same order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from pedall.errors import DataFileError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.shape_cache import ShapeGroup
from pedall.namespaces import PEDALL, PREFIXES
from pedall.patients.graph import PatientGraphWriter, patient_node
from pedall.patients.model import (
    ID_COLUMN,
    LESIONS_COLUMN,
    FieldKind,
    PatientField,
    PatientModel,
)
from pedall.patients.readers.cells import CellValue
from pedall.patients.readers.csv_table import PatientRecord
from pedall.shacl.compiler import REPORTED_PATH
from pedall.shacl.pyshacl_runner import run_pyshacl
from pedall.shacl.reports import merge_reports
from pedall.shacl.values import PathValues, Value
from pedall.validate.checks import QualityCheck, compile_checks, severity_of

ENGINES = ("fast", "reference")
BATCH_RECORDS = 2_000
FAILING_MEMO_LIMIT = 1 << 17
PATIENT_ID = str(PEDALL.patientId)
HAS_LESION = str(PEDALL.hasLesion)
Facts = dict[str, PathValues]
# Paths of the facts, each with the bounds its checks test (None: not only bounds).
KeyPaths = tuple[tuple[str, tuple[float, ...] | None], ...]


@dataclass(eq=False)
class DataQualityChecker:
    """Checks patient records against the data-quality shapes of one knowledge base.

    >>> checker = DataQualityChecker.from_knowledge(KnowledgeBase.load())  # doctest: +SKIP
    >>> checker.check(records)  # doctest: +SKIP
    """

    model: PatientModel
    shape_group: ShapeGroup  # the data-quality shape group, compiled
    ontology: Graph
    checks: tuple[QualityCheck, ...]
    batch_size: int = BATCH_RECORDS
    # The failing checks of a group, and of a whole record, by the values they read (a
    # cohort repeats values).
    _failing: dict[tuple[object, ...], tuple[int, ...]] = field(default_factory=dict, init=False)
    _failing_records: dict[tuple[object, ...], tuple[int, ...]] = field(
        default_factory=dict, init=False
    )

    @classmethod
    def from_knowledge(
        cls, kb: KnowledgeBase, model: PatientModel | None = None
    ) -> DataQualityChecker:
        shapes = kb.shape_group("data-quality")
        checks = compile_checks(shapes)
        shapes.save()
        return cls(model or PatientModel.from_knowledge(kb), shapes, kb.graph, checks)

    @property
    def shapes(self) -> Graph:
        """The data-quality shapes as a graph, for pyshacl (parsed on first use)."""
        return self.shape_group.graph

    # -- the public checks -----------------------------------------------------------

    def check(self, records: Sequence[PatientRecord], engine: str = "fast") -> list[PatientIssue]:
        """Every issue of every record, record by record."""
        return [issue for issues in self.issues_by_record(records, engine) for issue in issues]

    def issues_by_record(
        self, records: Sequence[PatientRecord], engine: str = "fast"
    ) -> list[list[PatientIssue]]:
        """The issues of each record (same order as ``records``)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
        if engine == "fast":
            return [self._fast_issues(record) for record in records]
        return self.reference_check(records)[0]

    def report_graph(self, records: Sequence[PatientRecord]) -> Graph:
        """The standard SHACL validation report of the records, from pyshacl (one report
        even when the records were validated in several batches)."""
        return self.reference_check(records)[1]

    def reference_check(
        self, records: Sequence[PatientRecord]
    ) -> tuple[list[list[PatientIssue]], Graph]:
        """pyshacl's verdict: each record's issues, and the report graph they come from."""
        issues: list[list[PatientIssue]] = []
        parts: list[Graph] = []
        for batch in _batches(records, self.batch_size):
            nodes, part = self._pyshacl(batch)
            issues += self._issues_of_report(batch, nodes, part)
            parts.append(part)
        bound = {p: str(PREFIXES[p]) for p in ("sh", "pedall", "patient", "xsd", "rdf")}
        report = merge_reports(parts, bound)
        return issues, report

    # -- compiled ---------------------------------------------------------------------

    def _fast_issues(self, record: PatientRecord) -> list[PatientIssue]:
        """The record's issues, the checks that fail remembered by the values the checks
        read as a whole record's key (when every check is remembered), else group by
        group."""
        paths = self._record_paths
        if paths is None:
            failing = self._failing_checks(record)
        else:
            key = self._key(record, paths)
            found = self._failing_records.get(key)
            if found is None:
                found = self._failing_checks(record)
                if len(self._failing_records) >= FAILING_MEMO_LIMIT:
                    self._failing_records.clear()
                self._failing_records[key] = found
            failing = found
        if not failing:
            return []
        issues = [
            self._issue(record, check.path, check.message, check.severity)
            for check in (self.checks[i] for i in failing)
        ]
        return self._ordered(issues)

    def _failing_checks(self, record: PatientRecord) -> tuple[int, ...]:
        """The indices of the checks the record fails, in order, group by group."""
        facts: Facts | None = None
        failing: list[int] = []
        for group, (reads, indices, cuts) in enumerate(self._check_groups):
            if self._every_time(reads, cuts):
                facts = facts if facts is not None else self._facts(record)
                failing += [i for i in indices if self.checks[i].holds(facts) is False]
                continue
            key = (group, *self._key(record, tuple((path, cuts) for path in reads)))
            found = self._failing.get(key)
            if found is None:
                facts = facts if facts is not None else self._facts(record)
                found = tuple(i for i in indices if self.checks[i].holds(facts) is False)
                if len(self._failing) >= FAILING_MEMO_LIMIT:
                    self._failing.clear()
                self._failing[key] = found
            failing += found
        return tuple(sorted(failing))

    @staticmethod
    def _every_time(reads: tuple[str, ...], cuts: tuple[float, ...] | None) -> bool:
        """Whether a group's checks are evaluated every time, remembering nothing: what
        they read is not known, or differs for every patient (the id, unless only its
        type and count are tested)."""
        return not reads or (PATIENT_ID in reads and cuts is None)

    @cached_property
    def _record_paths(self) -> KeyPaths | None:
        """Every path the checks read, with the bounds of all its groups when each of them
        tests only bounds there (a region then keys every group): a whole record's key.
        None when a group is evaluated every time."""
        cuts: dict[str, set[float] | None] = {}
        for reads, _, group_cuts in self._check_groups:
            if self._every_time(reads, group_cuts):
                return None
            for path in reads:
                known = cuts.get(path, set())
                cuts[path] = (
                    None if known is None or group_cuts is None else known | set(group_cuts)
                )
        return tuple(
            (path, None if points is None else tuple(sorted(points)))
            for path, points in sorted(cuts.items())
        )

    @cached_property
    def _check_groups(self) -> list[tuple[tuple[str, ...], list[int], tuple[float, ...] | None]]:
        """The checks grouped by the paths they read (the checks of a group fail or pass
        together for equal values there), with the numeric bounds of the group when its
        single path is tested only by count, datatype and bounds."""
        groups: dict[tuple[str, ...], list[int]] = {}
        for index, check in enumerate(self.checks):
            groups.setdefault(check.reads, []).append(index)
        out = []
        for reads, indices in groups.items():
            cuts = [self.checks[i].cuts for i in indices]
            bounded = len(reads) == 1 and all(c is not None for c in cuts)
            merged = tuple(sorted({p for c in cuts for p in c or ()})) if bounded else None
            out.append((reads, indices, merged))
        return out

    def _key(self, record: PatientRecord, paths: KeyPaths) -> tuple[object, ...]:
        """What the facts hold at each of ``paths``, as a key: values with their types
        (Python equates ``True`` with ``1``, SHACL does not); where the checks test only
        counts, datatypes and the bounds ``cuts``, numbers by region (with whether they are
        ints, as one int when they are Python's own) and other values by type alone (a
        bound is never met by a value that is not a number)."""
        get = record.values.get
        key: list[object] = []
        for path, cuts in paths:
            if path == HAS_LESION:
                key.append(record.lesions)
                continue
            value = record.patient_id if path == PATIENT_ID else get(path)
            kind = type(value)
            if value is None:
                key.append(None)
            elif cuts is None:
                key.append((kind, value))
            elif isinstance(value, (int, float)) and kind is not bool:
                index = bisect_left(cuts, value)
                region = 2 * index + (index < len(cuts) and cuts[index] == value)
                key.append(2 * region + (kind is int) if kind in (int, float) else (kind, region))
            else:
                key.append((kind,))
        return tuple(key)

    def _facts(self, record: PatientRecord) -> Facts:
        facts: Facts = {prop: PathValues((value,)) for prop, value in record.values.items()}
        facts[PATIENT_ID] = PathValues((record.patient_id,))
        lesions: tuple[Value, ...] = tuple(
            self.model.lesions.closure((lesion,)) for lesion in record.lesions
        )
        facts[HAS_LESION] = PathValues(lesions)
        return facts

    # -- pyshacl ----------------------------------------------------------------------

    def _issues_of_report(
        self, batch: Sequence[PatientRecord], nodes: list[Node], report: Graph
    ) -> list[list[PatientIssue]]:
        """Each record's issues from pyshacl's results (one per record and shape)."""
        by_node = {node: index for index, node in enumerate(nodes)}
        found: list[dict[str, PatientIssue]] = [{} for _ in batch]
        for result in report.subjects(RDF.type, SH.ValidationResult):
            focus = report.value(result, SH.focusNode)
            if focus not in by_node:
                raise DataFileError(
                    f"the patient data-quality shapes reported on {focus}, which is not one of "
                    "the patients checked: the knowledge graph holds a node they target"
                )
            source = report.value(result, SH.sourceShape)
            path = report.value(result, SH.resultPath)
            if path is None:
                path = self.shapes.value(source, REPORTED_PATH)
            found[by_node[focus]][str(source)] = self._issue(
                batch[by_node[focus]],
                str(path) if path is not None else None,
                str(report.value(result, SH.resultMessage) or ""),
                severity_of(str(report.value(result, SH.resultSeverity))),
            )
        return [self._ordered(list(issues.values())) for issues in found]

    def _pyshacl(self, records: Sequence[PatientRecord]) -> tuple[list[Node], Graph]:
        """The records' nodes and pyshacl's report graph for them."""
        writer = PatientGraphWriter(self.model)
        data = Graph()
        nodes: list[Node] = []
        taken: set[URIRef] = set()
        for index, record in enumerate(records):
            node = patient_node(record)
            if node in taken:  # the same id in two sources
                node = URIRef(f"{node}-{index}")
            taken.add(node)
            writer.add(data, node, record.values, record.lesions, record.patient_id)
            nodes.append(node)
        return nodes, run_pyshacl(data, self.shapes, self.ontology, rules=False)

    # -- issues -----------------------------------------------------------------------

    def _issue(
        self, record: PatientRecord, path: str | None, message: str, severity: str
    ) -> PatientIssue:
        return PatientIssue(
            record.line,
            self.column_of(path),
            self.value_as_read(record, path),
            message,
            record.patient_id,
            record.source,
            severity,
            record.node,
        )

    def column_of(self, path: str | None) -> str | None:
        """The CSV column of a patient property (``lesions`` for ``pedall:hasLesion``)."""
        if path is None:
            return None
        if path == PATIENT_ID:
            return ID_COLUMN
        if path == HAS_LESION:
            return LESIONS_COLUMN
        spec = self._fields.get(path)
        return spec.column if spec is not None else path.rsplit("/", 1)[-1]

    def value_as_read(self, record: PatientRecord, path: str | None) -> str | None:
        """The record's value at ``path`` as read (codes as written in the table)."""
        if path == PATIENT_ID:
            return record.patient_id
        if path == HAS_LESION:
            labels = [self.model.lesions.display.get(iri, iri) for iri in record.lesions]
            return "; ".join(labels) if labels else None
        if path is None or path not in record.values:
            return None
        return self._text(path, record.values[path])

    def _text(self, path: str, value: CellValue) -> str:
        spec = self._fields.get(path)
        if spec is not None and spec.kind is FieldKind.CODED:
            return next((code for code, iri in spec.codes.items() if iri == str(value)), str(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def _ordered(self, issues: list[PatientIssue]) -> list[PatientIssue]:
        columns = self.model.columns

        def key(issue: PatientIssue) -> tuple[int, int, str]:
            position = columns.index(issue.column) if issue.column in columns else -1
            return (position, 0 if issue.is_error else 1, issue.message)

        return sorted(issues, key=key)

    @cached_property
    def _fields(self) -> dict[str, PatientField]:
        return dict(self.model.field_by_property())


def _batches(records: Sequence[PatientRecord], size: int) -> Iterable[Sequence[PatientRecord]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]
