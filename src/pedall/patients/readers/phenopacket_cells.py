"""One phenopacket turned into the cells of a patient-table row, each with the JSON path it
came from, and the phenopacket's located issues (``read_phenopackets`` reads the cells with
the CSV row reader). The mapping of codes to cells is data (``PhenopacketMapping``); this
module knows where in a phenopacket each kind of element sits and what makes it malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pedall.errors import PatientIssue
from pedall.patients.model import ID_COLUMN, KARYOTYPE_COLUMN, LESIONS_COLUMN
from pedall.patients.readers.lesion_cells import LESION_SEPARATOR
from pedall.patients.readers.phenopacket_mapping import PhenopacketMapping

WORKUP_COMPLETE = frozenset({"COMPLETED", "SOLVED", "UNSOLVED"})
PRESENT = frozenset({"CANDIDATE", "CONTRIBUTORY", "CAUSATIVE"})
# ISO 8601 durations of whole years, months, weeks and days (a calendar, not clinical data).
_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
# An ISCN karyotype opens with its chromosome count (or count range) and a comma (46,XY,...);
# a single rearrangement (t(9;22)(q34;q11.2)) does not. Notation, not clinical data.
_WHOLE_KARYOTYPE = re.compile(r"^\d+(?:~\d+)?,")
_DAYS_PER_YEAR = 365.25


@dataclass
class PhenopacketCells:
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

    def fail(self, path: str, value: object, message: str, severity: str = "error") -> None:
        shown = None if value is None else str(value)
        where = f"{self.prefix}.{path}" if path else self.prefix
        self.issues.append(
            PatientIssue(self.line, where, shown, message, self.patient_id, self.source, severity)
        )

    def taken(self, column: str, path: str, code: str) -> bool:
        """Whether another element already gave this cell (then the element at ``path``,
        naming ``code``, is an error: one element gives one cell)."""
        if column not in self.text:
            return False
        first = self.paths[column].removeprefix(f"{self.prefix}.")
        self.fail(path, code, f"a second {column} value (the first is at {first})")
        return True

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
        self._medical_actions(packet)
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
            by_time = self.mapping.assays.get(measurement.assay.id)
            if by_time is None:
                continue
            path = f"measurements[{index}]"
            time = _time_class(measurement)
            column = by_time.get(time) or by_time.get(None)
            if column is None:
                if time is None:  # a timed assay without a time: say why it is not read
                    expected = " or ".join(sorted(str(t) for t in by_time))
                    message = f"not read: expected timeObserved.ontologyClass {expected}"
                    self.fail(f"{path}.timeObserved", None, message, "warning")
                continue
            if self.taken(column, f"{path}.assay.id", measurement.assay.id):
                continue
            if not measurement.HasField("value") or not measurement.value.HasField("quantity"):
                self.fail(f"{path}.value", None, f"expected value.quantity (the {column})")
                continue
            quantity = measurement.value.quantity
            units = self.mapping.units.get(column, {})
            factor = units.get(quantity.unit.id)
            if factor is None:
                expected = ", ".join(sorted(units))
                self.fail(
                    f"{path}.value.quantity.unit.id",
                    quantity.unit.id,
                    f"expected a unit of {column}: {expected}",
                )
                continue
            self.set(column, repr(quantity.value * factor), f"{path}.value.quantity.value")

    def _features(self, packet: Any) -> None:
        for index, feature in enumerate(packet.phenotypic_features):
            path = f"phenotypicFeatures[{index}]"
            flag = self.mapping.feature_flags.get(feature.type.id)
            if flag is not None:
                if not self.taken(flag, f"{path}.type.id", feature.type.id):
                    self.set(flag, "false" if feature.excluded else "true", f"{path}.excluded")
                continue
            coded = self.mapping.features.get(feature.type.id)
            if coded is None or feature.excluded:
                continue
            column, cell = coded
            if not self.taken(column, f"{path}.type.id", feature.type.id):
                self.set(column, cell, f"{path}.type.id")

    def _medical_actions(self, packet: Any) -> None:
        for index, action in enumerate(packet.medical_actions):
            regimen = action.therapeutic_regimen if action.HasField("therapeutic_regimen") else None
            if regimen is None or not regimen.HasField("ontology_class"):
                continue
            response = self.mapping.regimens.get(regimen.ontology_class.id)
            if response is None or not action.HasField("response_to_treatment"):
                continue
            path = f"medicalActions[{index}].responseToTreatment.id"
            code = action.response_to_treatment.id
            means = response.means.get(code)
            if means is None:
                answers = sorted(response.means.items(), key=lambda item: (not item[1], item[0]))
                expected = " or ".join(f"{known} ({str(v).lower()})" for known, v in answers)
                self.fail(path, code, f"expected a response giving {response.column}: {expected}")
                continue
            if not self.taken(response.column, path, code):
                self.set(response.column, str(means).lower(), path)

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
        karyotypes = 0
        for index, expression in enumerate(descriptor.expressions):
            value = expression.value.strip()
            if expression.syntax.lower() != "iscn" or not value:
                continue
            value_path = f"{where}.expressions[{index}].value"
            if _WHOLE_KARYOTYPE.match(value):  # read like the karyotype column
                karyotypes += 1
                if not self.taken(KARYOTYPE_COLUMN, value_path, value):
                    self.set(KARYOTYPE_COLUMN, value, value_path)
            else:
                found.append((value, value_path))
        if not found and not karyotypes:
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


def _time_class(measurement: Any) -> str | None:
    """The ontology class a measurement's timeObserved names (None: another kind of time)."""
    if measurement.HasField("time_observed") and measurement.time_observed.HasField(
        "ontology_class"
    ):
        return str(measurement.time_observed.ontology_class.id)
    return None


def _subject_id(document: dict[str, Any]) -> str | None:
    subject = document.get("subject")
    identifier = subject.get("id") if isinstance(subject, dict) else None
    return identifier if isinstance(identifier, str) and identifier else None
