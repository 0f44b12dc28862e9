"""Read GA4GH Phenopackets v2 (one JSON object, a JSON array, or JSON Lines) as patient records.

Each phenopacket is parsed with the official ``phenopackets`` classes (unknown fields
rejected), turned into the cells a CSV row of the patient table would hold (the mapping
is data: ``phenopacket-mapping.ttl``, read by ``PhenopacketMapping``) and read by the CSV
row reader, so a phenopacket and the equivalent row give the same record. A phenopacket
that breaks the mapping is a located issue naming the JSON path (``phenopackets[2].
diseases[0].onset.age.iso8601duration``); the others are still read.

Genetics: the genomic interpretations of the ALL diagnosis. A REJECTED interpretation is
tested and absent, CANDIDATE/CONTRIBUTORY/CAUSATIVE present (the variation descriptor's
``label`` and its ``iscn`` expressions read like the ``lesions`` column), UNKNOWN_STATUS
unknown. The lesions are known only when every interpretation of the ALL diagnosis has
``progressStatus`` COMPLETED, SOLVED or UNSOLVED; otherwise (or with none) genetics are
pending and every lesion not reported present stays possible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from weakref import WeakKeyDictionary

from pedall.errors import InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import ID_COLUMN, LESIONS_COLUMN, LESIONS_PENDING_COLUMN, PatientModel
from pedall.patients.readers.csv_table import (
    ALL_PENDING,
    LESION_SEPARATOR,
    DuplicateIds,
    ReadResult,
    RowReader,
)
from pedall.patients.readers.phenopacket_mapping import PhenopacketMapping

MEDIA_TYPE = "application/x-phenopacket+json"
WORKUP_COMPLETE = frozenset({"COMPLETED", "SOLVED", "UNSOLVED"})
PRESENT = frozenset({"CANDIDATE", "CONTRIBUTORY", "CAUSATIVE"})
# ISO 8601 durations of whole years, months, weeks and days (a calendar, not clinical data).
_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_DAYS_PER_YEAR = 365.25
_MAPPINGS: WeakKeyDictionary[KnowledgeBase, PhenopacketMapping] = WeakKeyDictionary()


def mapping_for(kb: KnowledgeBase, model: PatientModel) -> PhenopacketMapping:
    """The mapping of one knowledge base, read once."""
    mapping = _MAPPINGS.get(kb)
    if mapping is None:
        mapping = _MAPPINGS[kb] = PhenopacketMapping.from_graph(kb.graph, model)
    return mapping


def is_phenopacket(document: object) -> bool:
    """Whether parsed JSON is a phenopacket (an object with ``subject`` and ``metaData``)."""
    return isinstance(document, dict) and "subject" in document and "metaData" in document


def looks_like_phenopackets(text: str) -> bool:
    """Whether JSON text holds phenopackets (one, an array of them, or JSON Lines), so that
    a ``.json`` file or an ``application/json`` body can go to this reader, not JSON-LD."""
    try:
        document = json.loads(text)
    except ValueError:
        first = next((line for line in text.splitlines() if line.strip()), "")
        try:
            document = json.loads(first)
        except ValueError:
            return False
    if isinstance(document, list):
        return bool(document) and all(is_phenopacket(item) for item in document)
    return is_phenopacket(document)


def _documents(text: str, source: str) -> Iterator[tuple[int | None, object]]:
    """Each phenopacket document with its JSONL line (None in a JSON object or array)."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    else:
        items = document if isinstance(document, list) else [document]
        for item in items:
            yield None, item
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as error:
            raise InputFormatError(f"{source}: line {number}: not JSON ({error})") from error


def read_phenopackets(
    text: str, kb: KnowledgeBase, model: PatientModel, source: str = "<input>"
) -> ReadResult:
    """Patient records from phenopackets; a phenopacket that breaks the mapping is issues."""
    mapping = mapping_for(kb, model)
    header = (
        ID_COLUMN,
        mapping.sex_column,
        *sorted(
            {
                *mapping.assays.values(),
                *mapping.disease_flags.values(),
                *(column for column, _ in mapping.features.values()),
            }
        ),
        mapping.age_column,
        mapping.lineage_column,
        LESIONS_COLUMN,
        LESIONS_PENDING_COLUMN,
    )
    rows = RowReader(header, model, source)
    duplicates = DuplicateIds(source)
    result = ReadResult(columns=list(header))
    for index, (line, document) in enumerate(_documents(text, source)):
        cells = _Cells(f"phenopackets[{index}]", line, source, mapping)
        cells.read(document)
        if cells.pending:
            cells.text[LESIONS_PENDING_COLUMN] = ALL_PENDING
        read = rows.read(line or 0, [cells.text.get(column, "") for column in header])
        issues = [cells.locate(issue) for issue in duplicates.check(read)]
        result.issues += cells.issues + issues
        if read.record is not None and not read.issues and not cells.issues:
            record = replace(read.record, line=line)
            result.records.append(record)
    return result


@dataclass
class _Cells:
    """The CSV cells of one phenopacket, the JSON path each came from, and its issues."""

    prefix: str
    line: int | None
    source: str
    mapping: PhenopacketMapping
    text: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    lesion_paths: dict[str, str] = field(default_factory=dict)
    issues: list[PatientIssue] = field(default_factory=list)
    pending: bool = True
    patient_id: str | None = None

    def fail(self, path: str, value: object, message: str) -> None:
        shown = None if value is None else str(value)
        where = f"{self.prefix}.{path}" if path else self.prefix
        self.issues.append(
            PatientIssue(self.line, where, shown, message, self.patient_id, self.source)
        )

    def set(self, column: str, value: str, path: str) -> None:
        self.text[column] = value
        self.paths[column] = f"{self.prefix}.{path}"

    def locate(self, issue: PatientIssue) -> PatientIssue:
        """A row reader's issue, with the JSON path in place of the CSV column."""
        if issue.column == LESIONS_COLUMN and issue.value in self.lesion_paths:
            path = f"{self.prefix}.{self.lesion_paths[issue.value]}"
            return replace(issue, column=path, line=self.line)
        if issue.column in self.paths:
            return replace(issue, column=self.paths[issue.column], line=self.line)
        if issue.column == ID_COLUMN:
            return replace(issue, column=f"{self.prefix}.subject.id", line=self.line)
        return replace(issue, line=self.line)

    def read(self, document: object) -> None:
        from google.protobuf import json_format
        from phenopackets import Phenopacket

        if not isinstance(document, dict):
            self.fail("", None, "expected a phenopacket (a JSON object)")
            return
        self.patient_id = _subject_id(document)
        packet = Phenopacket()
        try:
            json_format.ParseDict(document, packet, ignore_unknown_fields=False)
        except json_format.ParseError as error:
            self.fail("", None, f"not a GA4GH Phenopacket v2: {error}")
            return
        self._subject(packet)
        self._diseases(packet)
        self._measurements(packet)
        self._features(packet)
        self._interpretations(packet)

    def _subject(self, packet: Any) -> None:
        from phenopackets import Sex

        self.set(ID_COLUMN, packet.subject.id, "subject.id")
        code = self.mapping.sex.get(Sex.Name(packet.subject.sex))
        if code is not None:
            self.set(self.mapping.sex_column, code, "subject.sex")

    def _diseases(self, packet: Any) -> None:
        found: str | None = None
        for index, disease in enumerate(packet.diseases):
            path = f"diseases[{index}]"
            term = disease.term.id
            flag = self.mapping.disease_flags.get(term)
            if flag is not None:
                self.set(flag, "false" if disease.excluded else "true", f"{path}.excluded")
                continue
            if term not in self.mapping.lineage or disease.excluded:
                continue
            if found is not None:
                self.fail(f"{path}.term.id", term, f"a second ALL diagnosis (the first is {found})")
                continue
            found = path
            self.set(self.mapping.lineage_column, self.mapping.lineage[term], f"{path}.term.id")
            self._onset(disease, path)
        if found is None:
            expected = ", ".join(sorted(self.mapping.lineage))
            self.fail("diseases", None, f"expected an ALL diagnosis (a disease term {expected})")

    def _onset(self, disease: Any, path: str) -> None:
        if not disease.HasField("onset"):
            return
        if not disease.onset.HasField("age"):
            self.fail(
                f"{path}.onset", None, "expected onset.age.iso8601duration (age at diagnosis)"
            )
            return
        duration = disease.onset.age.iso8601duration
        years = duration_years(duration)
        where = f"{path}.onset.age.iso8601duration"
        if years is None:
            self.fail(where, duration, "expected an ISO 8601 duration such as P5Y6M")
            return
        self.set(self.mapping.age_column, repr(years), where)

    def _measurements(self, packet: Any) -> None:
        for index, measurement in enumerate(packet.measurements):
            column = self.mapping.assays.get(measurement.assay.id)
            if column is None:
                continue
            path = f"measurements[{index}]"
            if column in self.text:
                self.fail(f"{path}.assay.id", measurement.assay.id, f"a second {column} value")
                continue
            if not measurement.HasField("value") or not measurement.value.HasField("quantity"):
                self.fail(f"{path}.value", None, "expected value.quantity")
                continue
            quantity = measurement.value.quantity
            units = self.mapping.units.get(column, {})
            factor = units.get(quantity.unit.id)
            if factor is None:
                expected = ", ".join(sorted(units))
                self.fail(
                    f"{path}.value.quantity.unit.id", quantity.unit.id, f"expected {expected}"
                )
                continue
            self.set(column, repr(quantity.value * factor), f"{path}.value.quantity.value")

    def _features(self, packet: Any) -> None:
        for index, feature in enumerate(packet.phenotypic_features):
            coded = self.mapping.features.get(feature.type.id)
            if coded is None or feature.excluded:
                continue
            column, cell = coded
            path = f"phenotypicFeatures[{index}].type.id"
            if column in self.text:
                self.fail(path, feature.type.id, f"a second {column} value")
                continue
            self.set(column, cell, path)

    def _interpretations(self, packet: Any) -> None:
        from phenopackets import GenomicInterpretation, Interpretation

        labels: list[str] = []
        complete: list[bool] = []
        for index, interpretation in enumerate(packet.interpretations):
            if interpretation.diagnosis.disease.id not in self.mapping.lineage:
                continue
            progress = Interpretation.ProgressStatus.Name(interpretation.progress_status)
            complete.append(progress in WORKUP_COMPLETE)
            genomic = interpretation.diagnosis.genomic_interpretations
            for number, finding in enumerate(genomic):
                path = f"interpretations[{index}].diagnosis.genomicInterpretations[{number}]"
                status = GenomicInterpretation.InterpretationStatus.Name(
                    finding.interpretation_status
                )
                if status == "REJECTED":
                    continue
                if status not in PRESENT:
                    complete.append(False)
                    continue
                if not finding.HasField("variant_interpretation"):
                    self.fail(path, None, "expected a variantInterpretation with a label")
                    continue
                labels += self._labels(finding.variant_interpretation.variation_descriptor, path)
        self.pending = not complete or not all(complete)
        self.text[LESIONS_COLUMN] = LESION_SEPARATOR.join(labels)
        self.paths[LESIONS_COLUMN] = f"{self.prefix}.interpretations"

    def _labels(self, descriptor: Any, path: str) -> list[str]:
        where = f"{path}.variantInterpretation.variationDescriptor"
        found: list[tuple[str, str]] = []
        if descriptor.label.strip():
            found.append((descriptor.label.strip(), f"{where}.label"))
        for index, expression in enumerate(descriptor.expressions):
            if expression.syntax.lower() == "iscn" and expression.value.strip():
                found.append((expression.value.strip(), f"{where}.expressions[{index}].value"))
        if not found:
            self.fail(f"{where}.label", None, "expected a lesion label or an iscn expression")
        for label, label_path in found:
            self.lesion_paths.setdefault(label, label_path)
        return [label for label, _ in found]


def duration_years(duration: str) -> float | None:
    """Years in an ISO 8601 duration (P5Y6M is 5.5); None when it is not one."""
    match = _DURATION.match(duration.strip())
    if match is None:
        return None
    years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
    return years + months / 12 + (weeks * 7 + days) / _DAYS_PER_YEAR


def _subject_id(document: dict[str, Any]) -> str | None:
    subject = document.get("subject")
    identifier = subject.get("id") if isinstance(subject, dict) else None
    return identifier if isinstance(identifier, str) and identifier else None
