"""The readers registry: one table of media types and extensions, used by the library API
(and so by the CLI, the cohort runner and the HTTP service)."""

from __future__ import annotations

import pytest

from pedall.api import read_input
from pedall.errors import InputFormatError, UnsupportedMediaTypeError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.readers.registry import (
    READERS,
    PatientReader,
    extensions,
    media_types,
    reader_for_media_type,
    reader_for_path,
)

TURTLE = b"""@prefix pedall: <https://w3id.org/pedall/> .
<urn:p1> a pedall:Patient ; pedall:patientId "P1" ; pedall:ageYears 4.0 .
"""
RDF_XML = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:pedall="https://w3id.org/pedall/">
  <pedall:Patient rdf:about="urn:p1"><pedall:patientId>P1</pedall:patientId></pedall:Patient>
</rdf:RDF>
"""
JSON_LD = b"""{"@context": {"pedall": "https://w3id.org/pedall/"},
 "@id": "urn:p1", "@type": "pedall:Patient", "pedall:patientId": "P1"}"""
PHENOPACKET = b"""{"id": "pp1", "subject": {"id": "P1"},
 "diseases": [{"term": {"id": "NCIT:C3167", "label": "ALL"}}],
 "metaData": {"createdBy": "test", "phenopacketSchemaVersion": "2.0"}}"""
INPUTS = {
    "csv": b"patient_id,age_years\nP1,4\n",
    "turtle": TURTLE,
    "json-ld": JSON_LD,
    "phenopacket": PHENOPACKET,
    "rdf-xml": RDF_XML,
}


def _parquet_table() -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"patient_id": ["P1"], "age_years": [4]}), sink)
    return sink.getvalue()


INPUTS["parquet"] = _parquet_table()


def test_every_reader_is_listed_once_with_its_own_types() -> None:
    assert [reader.name for reader in READERS] == list(INPUTS)
    assert len(media_types()) == len(set(media_types()))
    assert len(extensions()) == len(set(extensions()))


@pytest.mark.parametrize("reader", READERS, ids=lambda reader: reader.name)
def test_each_reader_reads_its_media_types_and_extensions(
    knowledge_base: KnowledgeBase, reader: PatientReader
) -> None:
    for media_type in reader.media_types:
        assert reader_for_media_type(f"{media_type.upper()}; charset=utf-8") is reader
        read = read_input(knowledge_base, INPUTS[reader.name], media_type, "upload")
        assert [record.patient_id for record in read.records] == ["P1"]
    for extension in reader.extensions:
        assert reader_for_path(f"cohort{extension}") is reader


def test_unknown_media_type_and_extension_name_what_is_read() -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="text/csv, application/csv"):
        reader_for_media_type("image/png")
    with pytest.raises(UnsupportedMediaTypeError, match=r"cohort\.xlsx.*\.csv"):
        reader_for_path("cohort.xlsx")
    assert issubclass(UnsupportedMediaTypeError, InputFormatError)


def test_rdf_xml_keeps_its_guard(knowledge_base: KnowledgeBase) -> None:
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rdf:RDF/>'
    with pytest.raises(InputFormatError, match=r"DOCTYPE|declaration"):
        read_input(knowledge_base, entity, "application/rdf+xml", "upload")
