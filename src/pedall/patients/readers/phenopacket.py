"""Read GA4GH Phenopackets v2 (one JSON object, a JSON array, or JSON Lines) as patient records.

Each phenopacket is parsed with the official ``phenopackets`` classes (unknown fields
rejected), turned into the cells a CSV row of the patient table would hold (the mapping
is data: ``phenopacket-mapping.ttl``, read by ``PhenopacketMapping``) and read by the CSV
row reader, so a phenopacket and the equivalent row give the same record. Measurements
(WBC; blasts and MRD at the time their ``timeObserved`` names), phenotypic features (CNS
status, testicular involvement), the response to a therapeutic regimen (remission after
induction) and diseases (Down syndrome) each fill one cell; a second one is an error. A
phenopacket that breaks the mapping is a located issue naming the JSON path
(``phenopackets[2].diseases[0].onset.age.iso8601duration``); the others are still read.

Genetics: the genomic interpretations of the ALL diagnosis. A REJECTED interpretation is
tested and absent, CANDIDATE/CONTRIBUTORY/CAUSATIVE present (the variation descriptor's
``label`` and ``iscn`` expressions read like the ``lesions`` column, an expression that is a
whole karyotype, ``46,XY,t(9;22)(q34;q11.2)``, like the ``karyotype`` column), UNKNOWN_STATUS
unknown. The lesions are known only when every interpretation of the ALL diagnosis has
``progressStatus`` COMPLETED, SOLVED or UNSOLVED; otherwise (or with none) genetics are
pending and every lesion not reported present stays possible.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from weakref import WeakKeyDictionary

from pedall.errors import InputFormatError, PatientIssue
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import (
    ID_COLUMN,
    KARYOTYPE_COLUMN,
    LESIONS_COLUMN,
    LESIONS_PENDING_COLUMN,
    PatientModel,
)
from pedall.patients.readers.csv_table import DuplicateIds, ReadResult, RowReader
from pedall.patients.readers.lesion_cells import ALL_PENDING
from pedall.patients.readers.phenopacket_cells import PhenopacketCells
from pedall.patients.readers.phenopacket_mapping import PhenopacketMapping

MEDIA_TYPE = "application/x-phenopacket+json"
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
        *sorted(mapping.columns()),
        mapping.age_column,
        mapping.lineage_column,
        LESIONS_COLUMN,
        LESIONS_PENDING_COLUMN,
        KARYOTYPE_COLUMN,
    )
    rows = RowReader(header, model, source)
    duplicates = DuplicateIds(source)
    result = ReadResult(columns=list(header))
    for index, (line, document) in enumerate(_documents(text, source)):
        cells = PhenopacketCells(f"phenopackets[{index}]", line, source, mapping)
        cells.read(document)
        if cells.pending:
            cells.text[LESIONS_PENDING_COLUMN] = ALL_PENDING
        read = rows.read(line or 0, [cells.text.get(column, "") for column in header])
        issues = [cells.locate(issue) for issue in duplicates.check(read)]
        result.issues += cells.issues + issues
        if read.record is not None and not _has_error(read.issues, cells.issues):
            record = replace(read.record, line=line)
            result.records.append(record)
    return result


def _has_error(*issue_lists: list[PatientIssue]) -> bool:
    return any(issue.is_error for issues in issue_lists for issue in issues)
