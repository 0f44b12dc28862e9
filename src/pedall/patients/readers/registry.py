"""The readers registry: which reader takes patient input of a media type or a file
extension. The CLI, the cohort runner and the HTTP service all ask here.

Adding a format is one reader module plus one line in ``READERS``.

>>> reader_for_path("cohort.ttl").name
'turtle'
>>> reader_for_media_type("text/csv; charset=utf-8").streams
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from pedall.errors import InputFormatError, UnsupportedMediaTypeError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import ReadResult, read_csv
from pedall.patients.readers.parquet import read_parquet
from pedall.patients.readers.phenopacket import (
    MEDIA_TYPE,
    looks_like_phenopackets,
    read_phenopackets,
)
from pedall.patients.readers.rdf import RdfPatientFields, read_rdf
from pedall.patients.readers.rdfxml_guard import rdfxml_to_ntriples


class ReaderTools(Protocol):
    """What a reader needs from the compiled knowledge (``pedall.toolkit.Toolkit``)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def model(self) -> PatientModel: ...

    @property
    def rdf_fields(self) -> RdfPatientFields: ...


ReadFunction = Callable[[bytes, ReaderTools, str], ReadResult]


@dataclass(frozen=True)
class PatientReader:
    """One input format: its name, media types (the first is the canonical one), file
    extensions, whether the cohort runner may stream it row by row, and how to read it."""

    name: str
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]
    streams: bool
    read: ReadFunction


def utf8_text(payload: bytes, source: str) -> str:
    """The payload as text (a byte-order mark is dropped); InputFormatError otherwise."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFormatError(f"{source}: not UTF-8 text ({error})") from error


def _csv(payload: bytes, tools: ReaderTools, source: str) -> ReadResult:
    return read_csv(utf8_text(payload, source), tools.model, source)


def _rdf(kind: str) -> ReadFunction:
    def read(payload: bytes, tools: ReaderTools, source: str) -> ReadResult:
        return read_rdf(utf8_text(payload, source), kind, tools.model, tools.rdf_fields, source)

    return read


def _phenopackets(payload: bytes, tools: ReaderTools, source: str) -> ReadResult:
    return read_phenopackets(utf8_text(payload, source), tools.kb, tools.model, source)


def _json(payload: bytes, tools: ReaderTools, source: str) -> ReadResult:
    # A .json file or an application/json body holding phenopackets (objects with
    # "subject" and "metaData") is read as phenopackets; any other JSON as JSON-LD.
    if looks_like_phenopackets(utf8_text(payload, source)):
        return _phenopackets(payload, tools, source)
    return _rdf("json-ld")(payload, tools, source)


def _rdfxml(payload: bytes, tools: ReaderTools, source: str) -> ReadResult:
    # RDF/XML is guarded (no DTD, no entities) and turned into N-Triples, a Turtle subset.
    return _rdf("turtle")(rdfxml_to_ntriples(payload, source), tools, source)


READERS: tuple[PatientReader, ...] = (
    PatientReader("csv", ("text/csv", "application/csv"), (".csv",), True, _csv),
    PatientReader(
        "turtle", ("text/turtle", "application/x-turtle"), (".ttl",), False, _rdf("turtle")
    ),
    PatientReader(
        "json-ld",
        ("application/ld+json", "application/json"),
        (".jsonld", ".json"),
        False,
        _json,
    ),
    PatientReader(
        "phenopacket", (MEDIA_TYPE, "application/jsonl"), (".jsonl",), False, _phenopackets
    ),
    PatientReader("rdf-xml", ("application/rdf+xml",), (".rdf", ".owl"), False, _rdfxml),
    PatientReader(
        "parquet",
        ("application/vnd.apache.parquet", "application/x-parquet"),
        (".parquet",),
        False,  # read whole through ``read`` (in record batches), not by the CSV streamer
        lambda payload, tools, source: read_parquet(payload, tools.model, source),
    ),
)


def media_types() -> list[str]:
    """Every media type some reader takes, in registry order."""
    return [media_type for reader in READERS for media_type in reader.media_types]


def extensions() -> list[str]:
    """Every file extension some reader takes, in registry order."""
    return [extension for reader in READERS for extension in reader.extensions]


def reader_for_media_type(media_type: str) -> PatientReader:
    """The reader of a Content-Type (parameters ignored); UnsupportedMediaTypeError else."""
    base = media_type.split(";", 1)[0].strip().lower()
    for reader in READERS:
        if base in reader.media_types:
            return reader
    raise UnsupportedMediaTypeError(
        f"cannot read {base or '(no media type)'}; send one of {', '.join(media_types())}"
    )


def reader_for_path(name: str) -> PatientReader:
    """The reader of a file, by its extension; UnsupportedMediaTypeError else."""
    suffix = PurePath(name).suffix.lower()
    for reader in READERS:
        if suffix in reader.extensions:
            return reader
    raise UnsupportedMediaTypeError(
        f"{name}: unknown input format; expected a file ending in {', '.join(extensions())}"
    )
