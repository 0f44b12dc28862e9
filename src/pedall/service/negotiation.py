"""Content negotiation as lookup tables: which media type answers which request.

Each table maps every media type a client may ask for (aliases included) to the one
canonical media type pedall answers with. ``negotiate`` picks the offer an ``Accept``
header ranks highest (ties go to the server's order), following RFC 9110 section 12.5.1.

>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_SET_TYPES)
'application/sparql-results+json'
>>> negotiate("image/png", RESULT_SET_TYPES) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pedall.query.sparql import GRAPH_MEDIA_TYPES, RESULTS_MEDIA_TYPES

HTML = "text/html"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"


def canonical_media_types(formats: Mapping[str, object]) -> dict[str, str]:
    """Map every media type of a format table to the first media type of its format."""
    first: dict[object, str] = {}
    for media_type, written_as in formats.items():
        first.setdefault(written_as, media_type)
    return {media_type: first[written_as] for media_type, written_as in formats.items()}


# SELECT/ASK answers and CONSTRUCT/DESCRIBE answers (and every RDF download), from the
# formats pedall.query.sparql can write; the first media type of each format is its canonical one.
RESULT_SET_TYPES: Mapping[str, str] = canonical_media_types(RESULTS_MEDIA_TYPES)
GRAPH_TYPES: Mapping[str, str] = {
    **canonical_media_types(GRAPH_MEDIA_TYPES),
    "application/turtle": TURTLE,
    "application/x-json+ld": JSON_LD,
    "text/xml": RDF_XML,
}

# A term's IRI: RDF for a machine, a page for a person who asks for HTML.
TERM_TYPES: Mapping[str, str] = {
    **GRAPH_TYPES,
    HTML: HTML,
    "application/xhtml+xml": HTML,
}

# The ``format`` request parameter (as SPARQLWrapper and browsers send it) by query kind.
RESULT_SET_FORMATS: Mapping[str, str] = {
    "json": SPARQL_JSON,
    "xml": SPARQL_XML,
    "csv": CSV,
    "tsv": TSV,
}
GRAPH_FORMATS: Mapping[str, str] = {
    "turtle": TURTLE,
    "ttl": TURTLE,
    "n3": TURTLE,
    "json": JSON_LD,
    "json-ld": JSON_LD,
    "jsonld": JSON_LD,
    "nt": N_TRIPLES,
    "ntriples": N_TRIPLES,
    "n-triples": N_TRIPLES,
    "xml": RDF_XML,
    "rdf": RDF_XML,
    "rdfxml": RDF_XML,
    "rdf+xml": RDF_XML,
}

# File extensions of the graph downloads (``/graph.ttl``).
DOWNLOAD_EXTENSIONS: Mapping[str, str] = {
    "ttl": TURTLE,
    "jsonld": JSON_LD,
    "nt": N_TRIPLES,
    "rdf": RDF_XML,
    "xml": RDF_XML,
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header: ``type/subtype`` (wildcards allowed) and q."""

    type: str
    subtype: str
    quality: float

    def specificity(self, media_type: str) -> int:
        """How closely this range matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``,
        -1 no match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges = []
    for entry in (header or "").split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        main, slash, sub = media.lower().partition("/")
        if not slash or not main or not sub:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append(MediaRange(main, sub, quality))
    return ranges


def quality_of(media_type: str, ranges: list[MediaRange]) -> float:
    """The q an Accept header gives ``media_type``: that of its most specific range."""
    best_specificity, quality = -1, 0.0
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best_specificity:
            best_specificity, quality = specificity, media_range.quality
    return quality


def negotiate(accept: str | None, offers: Mapping[str, str]) -> str | None:
    """The canonical media type to answer with, or None when nothing offered is acceptable.

    No ``Accept`` header (or an empty one) means anything: the first offer.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return next(iter(offers.values()))
    best, best_quality = None, 0.0
    for offered, canonical in offers.items():
        quality = quality_of(offered, ranges)
        if quality > best_quality:
            best, best_quality = canonical, quality
    return best


def format_override(
    keyword: str | None, formats: Mapping[str, str], media_types: Mapping[str, str]
) -> str | None:
    """The media type a ``format`` parameter names, by keyword (``formats``) or as a media
    type itself (looked up in ``media_types``); None when it names neither."""
    if not keyword or not keyword.strip():
        return None
    keyword = keyword.strip().lower()
    if keyword in formats:
        return formats[keyword]
    return media_types.get(keyword.split(";")[0].strip())
