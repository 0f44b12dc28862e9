"""The readers registry: which reader takes patient input of a media type or a file
extension. The CLI, the cohort runner and the HTTP service all ask here.

Adding a format is one reader module plus one line in ``READERS``.

>>> reader_for_path("cohort.ttl").name
'turtle'
>>> reader_for_media_type("text/csv; charset=utf-8").streams
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from pedall.errors import UnsupportedMediaTypeError
from pedall.knowledge.base import KnowledgeBase
from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits
from pedall.patients.model import PatientModel
from pedall.patients.readers.csv_table import ReadResult, read_csv
from pedall.patients.readers.nesting import refuse_deep_json
from pedall.patients.readers.parquet import read_parquet
from pedall.patients.readers.phenopacket import (
    MEDIA_TYPE,
    looks_like_phenopackets,
    read_phenopackets,
)
from pedall.patients.readers.rdf import RdfPatientFields, read_rdf
from pedall.patients.readers.rdfxml_guard import rdfxml_to_ntriples
from pedall.patients.readers.utf8_text import utf8_text


class ReaderTools(Protocol):
    """What a reader needs from the compiled knowledge (``pedall.toolkit.Toolkit``)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def model(self) -> PatientModel: ...

    @property
    def rdf_fields(self) -> RdfPatientFields: ...


class ReadFunction(Protocol):
    """How a reader reads: the payload, the compiled knowledge, the name in issues, and
    the limits on the input (``pedall.patients.input_limits``)."""

    def __call__(
        self,
        payload: bytes,
        tools: ReaderTools,
        source: str,
        limits: InputLimits = DEFAULT_LIMITS,
    ) -> ReadResult: ...


@dataclass(frozen=True)
class PatientReader:
    """One input format: its name, media types (the first is the canonical one), file
    extensions, whether the cohort runner may stream it row by row, and how to read it."""

    name: str
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]
    streams: bool
    read: ReadFunction


def _csv(
    payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    return read_csv(utf8_text(payload, source), tools.model, source, limits)


def _rdf(kind: str) -> ReadFunction:
    def read(
        payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
    ) -> ReadResult:
        text = utf8_text(payload, source)
        if kind == "json-ld":
            refuse_deep_json(text, limits.max_depth, source)
        return read_rdf(text, kind, tools.model, tools.rdf_fields, source)

    return read


def _phenopackets(
    payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    text = utf8_text(payload, source)
    refuse_deep_json(text, limits.max_depth, source)
    return read_phenopackets(text, tools.kb, tools.model, source)


def _json(
    payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    # A .json file or an application/json body holding phenopackets (objects with
    # "subject" and "metaData") is read as phenopackets; any other JSON as JSON-LD.
    text = utf8_text(payload, source)
    refuse_deep_json(text, limits.max_depth, source)
    if looks_like_phenopackets(text):
        return _phenopackets(payload, tools, source, limits)
    return _rdf("json-ld")(payload, tools, source, limits)


def _rdfxml(
    payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    # RDF/XML is guarded (no DTD, no entities, no deep nesting) and turned into
    # N-Triples, a Turtle subset.
    ntriples = rdfxml_to_ntriples(payload, source, limits.max_depth)
    return _rdf("turtle")(ntriples, tools, source, limits)


def _parquet(
    payload: bytes, tools: ReaderTools, source: str, limits: InputLimits = DEFAULT_LIMITS
) -> ReadResult:
    return read_parquet(payload, tools.model, source)


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
        _parquet,
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
