"""Content negotiation tables and the small guards of the service, without a server."""

from __future__ import annotations

import pytest

from pedall.errors import InputFormatError, NotAcceptableError, ReadOnlyError
from pedall.patients.readers.rdfxml_guard import rdfxml_to_ntriples
from pedall.query.sparql import GRAPH_MEDIA_TYPES, RESULTS_MEDIA_TYPES, build_store
from pedall.service.negotiation import (
    GRAPH_FORMATS,
    GRAPH_TYPES,
    RESULT_SET_FORMATS,
    RESULT_SET_TYPES,
    TERM_TYPES,
    format_override,
    negotiate,
    parse_accept,
)
from pedall.service.query_workers import QueryRequest, answer_query
from pedall.service.settings import ServiceSettings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, RESULT_SET_TYPES, "application/sparql-results+json"),
        ("", GRAPH_TYPES, "text/turtle"),
        ("*/*", GRAPH_TYPES, "text/turtle"),
        ("application/json", RESULT_SET_TYPES, "application/sparql-results+json"),
        ("application/json", GRAPH_TYPES, "application/ld+json"),
        ("application/xml", GRAPH_TYPES, "application/rdf+xml"),
        ("text/*", RESULT_SET_TYPES, "application/sparql-results+xml"),
        (
            "text/csv;q=0.2, text/tab-separated-values",
            RESULT_SET_TYPES,
            "text/tab-separated-values",
        ),
        ("text/csv;q=0, */*;q=0.1", RESULT_SET_TYPES, "application/sparql-results+json"),
        ("application/turtle,text/turtle", GRAPH_TYPES, "text/turtle"),
        (BROWSER, TERM_TYPES, "text/html"),
        ("text/turtle, text/html;q=0.5", TERM_TYPES, "text/turtle"),
        ("image/png", RESULT_SET_TYPES, None),
        ("text/csv;q=0", RESULT_SET_TYPES, None),
    ],
)
def test_negotiate(accept: str | None, offers: dict[str, str], expected: str | None) -> None:
    assert negotiate(accept, offers) == expected


def test_more_specific_range_decides_the_quality() -> None:
    ranges = parse_accept("text/*;q=0.3, text/csv;q=0.9, */*;q=0.1, nonsense")
    assert [(r.type, r.subtype, r.quality) for r in ranges] == [
        ("text", "*", 0.3),
        ("text", "csv", 0.9),
        ("*", "*", 0.1),
    ]
    assert negotiate("text/*;q=0.3, text/csv;q=0.9", RESULT_SET_TYPES) == "text/csv"


def test_every_media_type_offered_is_one_pedall_sparql_writes() -> None:
    assert set(RESULT_SET_TYPES.values()) <= set(RESULTS_MEDIA_TYPES)
    assert set(GRAPH_TYPES.values()) <= set(GRAPH_MEDIA_TYPES)
    assert set(RESULT_SET_FORMATS.values()) <= set(RESULTS_MEDIA_TYPES)
    assert set(GRAPH_FORMATS.values()) <= set(GRAPH_MEDIA_TYPES)


@pytest.mark.parametrize(
    ("keyword", "formats", "media_types", "expected"),
    [
        ("csv", RESULT_SET_FORMATS, RESULT_SET_TYPES, "text/csv"),
        ("json", GRAPH_FORMATS, GRAPH_TYPES, "application/ld+json"),
        (
            "text/tab-separated-values",
            RESULT_SET_FORMATS,
            RESULT_SET_TYPES,
            "text/tab-separated-values",
        ),
        ("rdf+xml", GRAPH_FORMATS, GRAPH_TYPES, "application/rdf+xml"),
        ("docx", GRAPH_FORMATS, GRAPH_TYPES, None),
        (None, GRAPH_FORMATS, GRAPH_TYPES, None),
    ],
)
def test_format_override(
    keyword: str | None, formats: dict[str, str], media_types: dict[str, str], expected: str | None
) -> None:
    assert format_override(keyword, formats, media_types) == expected


def test_answer_query_refuses_updates_as_read_only_and_unfit_formats() -> None:
    from rdflib import Graph

    store = build_store(Graph())
    with pytest.raises(ReadOnlyError):
        answer_query(store, QueryRequest("INSERT DATA { <a:a> <a:b> <a:c> }", None, None))
    with pytest.raises(NotAcceptableError):
        answer_query(store, QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", "text/csv", None))
    answer = answer_query(store, QueryRequest("ASK {}", "text/tab-separated-values", None))
    assert (answer.media_type, answer.body) == ("text/tab-separated-values", b"?_askResult\ntrue\n")


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa">]><r/>',
        b'<?xml version="1.0"?>\n<!-- note -->\n<!doctype r SYSTEM "http://127.0.0.1:9/x"><r/>',
        b"<?xml version='1.0'?><! ENTITY x 'y'><r/>",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16"),
    ],
)
def test_xml_declarations_are_refused_in_any_spelling(document: bytes) -> None:
    with pytest.raises(InputFormatError, match="refused"):
        rdfxml_to_ntriples(document)


def test_xml_in_an_unexpected_encoding_is_refused() -> None:
    with pytest.raises(InputFormatError, match="UTF-8 or UTF-16"):
        rdfxml_to_ntriples("<r>\u00e9</r>".encode("latin-1"))


def test_plain_rdfxml_is_read() -> None:
    document = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:p="https://w3id.org/pedall/"><rdf:Description rdf:about="http://example.org/p1">'
        b"<p:ageYears>4</p:ageYears></rdf:Description><!-- a comment --></rdf:RDF>"
    )
    assert rdfxml_to_ntriples(document) == (
        b'<http://example.org/p1> <https://w3id.org/pedall/ageYears> "4" .\n'
    )


@pytest.mark.parametrize(
    "wrong", [{"query_timeout": 0}, {"workers": 0}, {"max_body_bytes": 0}, {"read_only": False}]
)
def test_settings_refuse_what_cannot_work(wrong: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ServiceSettings(**wrong)  # type: ignore[arg-type]
