"""Read patient data: the CSV patient table of the public contract, into ``PatientRecord``s.

A bad cell is a located ``PatientIssue`` (line, column, value, what was expected); the
row is left out and every other row is still read. Reading holds no clinical knowledge:
columns, codes and lesion synonyms come from the ontology through ``PatientModel``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from pedall.errors import InputFormatError, PatientIssue
from pedall.patients.header import TableHeader, match_header
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.patients.karyotype_fields import apply_karyotype
from pedall.patients.lesion_bounds import bound_violations
from pedall.patients.model import (
    ANY_LESION,
    ID_COLUMN,
    KARYOTYPE_COLUMN,
    LESION_COLUMNS,
    LESIONS_COLUMN,
    LESIONS_PENDING_COLUMN,
    PatientField,
    PatientModel,
)
from pedall.patients.readers.cells import BLANK, CellMemo, CellValue, read_cell
from pedall.patients.readers.lesion_cells import LesionCells, Reported
from pedall.patients.readers.table_guard import GuardedTable, OverLimitRow, over_limit_issues


@dataclass(slots=True)
class PatientRecord:
    """One patient as read: known values by property IRI (absent = not known), recorded
    lesion classes, where it came from, and the extra columns passed through. Never changed
    once read (``dataclasses.replace`` makes another); not frozen, because a frozen
    dataclass is three times slower to make, and one is made for every row."""

    patient_id: str
    values: Mapping[str, CellValue]
    lesions: tuple[str, ...] = ()
    line: int | None = None
    source: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    node: str | None = None
    # False when the data say nothing about genetics (a table without a ``lesions``
    # column): every lesion is then possible, not "none detected".
    lesions_known: bool = True
    # The lesion classes whose results are not back (``lesions_pending``; ANY_LESION when
    # none is): a lesion of one of them, or of a subclass, may be present.
    pending: frozenset[str] = frozenset()

    @property
    def pending_classes(self) -> frozenset[str]:
        """What may be present besides the recorded lesions (every lesion when the lesions
        are not known at all)."""
        return self.pending if self.lesions_known else frozenset({ANY_LESION})


@dataclass
class ReadResult:
    """The records read and the located issues (rows with an error are not in records)."""

    records: list[PatientRecord] = field(default_factory=list)
    issues: list[PatientIssue] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def read_csv(
    text: str, model: PatientModel, source: str = "<input>", limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    """Read a patient table. Rows with an unreadable cell, an empty or duplicate id, or an
    unknown lesion become issues; the others become records."""
    stream = io.StringIO(text.lstrip("\ufeff"), newline="")
    header, rows = open_table(stream, model, source, limits)
    return read_rows(header, rows, model, source)


def read_rows(
    header: TableHeader, rows: Iterable[tuple[int, list[str]]], model: PatientModel, source: str
) -> ReadResult:
    """The records and issues of a table's rows (each with its line), whatever the table
    was stored as (CSV, Parquet)."""
    result = ReadResult(columns=list(header), issues=list(header.issues))
    reader = RowReader(tuple(header), model, source)
    duplicates = DuplicateIds(source)
    for line, row in rows:
        read = reader.read(line, row)
        result.issues += duplicates.check(read)
        if read.accepted:
            assert read.record is not None
            result.records.append(read.record)
    return result


def open_table(
    lines: Iterable[str], model: PatientModel, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[TableHeader, Iterator[tuple[int, list[str]]]]:
    """The header of a patient table (contract columns under their canonical names, with
    the warnings of ``match_header``) and an iterator over its non-blank rows (with the
    line each starts on), read lazily from ``lines`` (a text stream opened with
    ``newline=""``) within ``limits`` (``table_guard``); InputFormatError when the header
    is unusable."""
    reader = GuardedTable(lines, limits, source)
    raw = reader.header()
    if raw is None or not any(h.strip() for h in raw):
        raise InputFormatError(f"{source}: empty input, expected a header row with {ID_COLUMN}")
    return match_header([h.strip() for h in raw], model, source), _rows(reader)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank row with the file line it starts on (a quoted cell may span lines)."""
    ended = reader.line_num  # type: ignore[attr-defined]
    for row in reader:
        start, ended = ended + 1, reader.line_num  # type: ignore[attr-defined]
        blank = not (row and row[0].strip()) and not "".join(row).strip()  # every cell
        if blank and not isinstance(row, OverLimitRow):
            continue
        yield start, row


class RowRead(NamedTuple):
    """One row as read on its own: the record (None when the row cannot give one), its
    issues, and the id to check against the rows before it (None: not checked). A named
    tuple: one is made for every row, three times faster than a frozen dataclass."""

    line: int
    record: PatientRecord | None
    issues: list[PatientIssue]
    checked_id: str | None

    @property
    def accepted(self) -> bool:
        """A record and no error (warnings do not stop a row)."""
        return self.record is not None and not any(i.is_error for i in self.issues)


@dataclass(frozen=True)
class RowPlan:
    """Where each kind of cell sits in a table's rows: the field columns (position, field
    and the cells of that field read so far), the lesion, pending and karyotype
    columns (None when absent), the columns passed through, and the table's fields given
    in another unit (``convert_units``)."""

    fields: tuple[tuple[int, PatientField, CellMemo], ...]
    lesions: int | None
    pending: int | None
    karyotype: int | None
    extra: tuple[tuple[int, str], ...]
    converting: tuple[PatientField, ...]


@dataclass(frozen=True)
class RowReader:
    """Reads rows of one table independently of each other (so batches of rows can be
    read in parallel); ``DuplicateIds`` then checks the ids in row order. Each distinct
    cell of a field is read once (``read_cell``), for every row this reader reads."""

    header: tuple[str, ...]
    model: PatientModel
    source: str

    @cached_property
    def fields(self) -> dict[str, PatientField]:
        return self.model.field_by_column()

    @cached_property
    def lesion_cells(self) -> LesionCells:
        return LesionCells(self.model)

    @cached_property
    def plan(self) -> RowPlan:
        def at(column: str) -> int | None:
            return self.header.index(column) if column in self.header else None

        fields: list[tuple[int, PatientField, CellMemo]] = []
        extra: list[tuple[int, str]] = []
        for index, column in enumerate(self.header):
            spec = self.fields.get(column)
            if column == ID_COLUMN or column in LESION_COLUMNS:
                continue
            if spec is None:
                extra.append((index, column))
            else:
                fields.append((index, spec, {}))
        converting = tuple(spec for _, spec, _ in fields if spec.converts_to is not None)
        return RowPlan(
            tuple(fields),
            at(LESIONS_COLUMN),
            at(LESIONS_PENDING_COLUMN),
            at(KARYOTYPE_COLUMN),
            tuple(extra),
            converting,
        )

    @cached_property
    def id_index(self) -> int:
        return self.header.index(ID_COLUMN)

    def read(self, line: int, row: list[str]) -> RowRead:
        issues = over_limit_issues(line, row, self.header, self.source)
        record, checked_id = _read_row(line, row, self, issues)
        return RowRead(line, record, issues, checked_id)


@dataclass
class DuplicateIds:
    """The ids seen so far in one table (``source``), with the line each was first on."""

    source: str
    seen: dict[str, int] = field(default_factory=dict)

    def check(self, read: RowRead) -> list[PatientIssue]:
        """The row's issues, headed by a duplicate-id issue when its id was seen before (the
        row's record is then dropped: ``read.record`` stays, ``accepted`` turns false)."""
        patient_id = read.checked_id
        if patient_id is None:
            return read.issues
        first = self.seen.get(patient_id)
        if first is None:
            self.seen[patient_id] = read.line
            return read.issues
        duplicate = PatientIssue(
            read.line,
            ID_COLUMN,
            patient_id,
            f"duplicate patient_id (first on line {first})",
            patient_id,
            self.source,
        )
        read.issues.insert(0, duplicate)
        return read.issues


def _read_row(
    line: int, row: list[str], reader: RowReader, issues: list[PatientIssue]
) -> tuple[PatientRecord | None, str | None]:
    source, header = reader.source, reader.header

    def issue(column: str | None, value: str | None, message: str, pid: str | None) -> None:
        issues.append(PatientIssue(line, column, value, message, pid, source))

    if len(row) > len(header):
        issue(None, None, f"row has {len(row)} cells but the header has {len(header)}", None)
        return None, None
    if len(row) < len(header):
        row = row + [""] * (len(header) - len(row))
    plan = reader.plan
    patient_id = row[reader.id_index].strip()
    if not patient_id:
        issue(ID_COLUMN, "", "patient_id is empty; every row needs a unique identifier", None)
    # The issues of the cells, by column position (they are listed in column order).
    located: list[tuple[int, PatientIssue]] = []

    def report(index: int, reported: tuple[Reported, ...]) -> None:
        for value, message, severity in reported:
            pid = patient_id or None
            located.append(
                (index, PatientIssue(line, header[index], value, message, pid, source, severity))
            )

    values: dict[str, CellValue] = {}
    for index, spec, memo in plan.fields:
        text = row[index]
        cell = memo.get(text)
        if cell is None:
            try:
                cell = read_cell(spec, text, memo)
            except ValueError as error:
                report(index, ((text, f"expected {error}", "error"),))
                continue
        if cell is not BLANK:
            values[spec.property] = cell
    lesions: list[str] = []
    if plan.lesions is not None:
        recorded, reported = reader.lesion_cells.lesions(row[plan.lesions])
        lesions = list(recorded)  # the karyotype may add to them
        report(plan.lesions, reported)
    pending: frozenset[str] = frozenset()
    if plan.pending is not None:
        pending, reported = reader.lesion_cells.pending(row[plan.pending])
        report(plan.pending, reported)
    if located:
        issues += [found for _, found in sorted(located, key=lambda pair: pair[0])]
    karyotype = row[plan.karyotype] if plan.karyotype is not None else ""
    extra = {column: row[index] for index, column in plan.extra}

    def given(column: str, value: str) -> str:
        """The cell of ``column`` as written (``value`` when the table has no such column)."""
        return row[header.index(column)] if column in header else value

    model = reader.model
    if plan.converting:
        for message, column, value in convert_units(values, reader.fields, plan.converting):
            issue(column, given(column, value), message, patient_id or None)
    for column, value, message in apply_karyotype(karyotype, values, lesions, model):  # type: ignore[arg-type]
        issue(column, value, message, patient_id or None)
    for column, value, message in bound_violations(values, tuple(lesions), model):
        issue(column, given(column, value) or value, message, patient_id or None)
    if not patient_id:
        return None, None
    record = PatientRecord(
        patient_id,
        values,
        tuple(lesions),
        line,
        source,
        extra,
        lesions_known=LESIONS_COLUMN in header,
        pending=pending,
    )
    return record, patient_id


def convert_units(
    values: dict[str, CellValue],
    fields: Mapping[str, PatientField],
    converting: Iterable[PatientField] | None = None,
) -> list[tuple[str, str, str]]:
    """Move each value given in another unit to the field pedall reads (by the factor the
    ontology gives); (message, column, value) for each that disagrees with a value given
    there too. ``converting``: the fields that may be in another unit (default: every one
    of ``fields`` the ontology gives a conversion)."""
    problems: list[tuple[str, str, str]] = []
    if converting is None:
        converting = [f for f in fields.values() if f.converts_to is not None]
    for spec in converting:
        if spec.converts_to is None or spec.property not in values:
            continue
        by_property = {f.property: f for f in fields.values()}
        given = values.pop(spec.property)
        assert isinstance(given, (int, float))
        converted = given * spec.factor
        target = by_property.get(spec.converts_to)
        column = target.column if target is not None else spec.converts_to
        present = values.get(spec.converts_to)
        if present is None:
            values[spec.converts_to] = converted
        elif not (isinstance(present, (int, float)) and math.isclose(present, converted)):
            problems.append(
                (
                    f"{spec.column} = {given:g} is {converted:g} in {column}, which gives "
                    f"{present}; give one of {column} and {spec.column}, or make them agree",
                    spec.column,
                    f"{given:g}",
                )
            )
    return problems
