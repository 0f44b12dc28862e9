"""Run SPARQL queries on the knowledge graph: the one place SPARQL runs (pyoxigraph).

Every query text goes through ``check_query`` (``pedall.query.policy``: read-only and
offline) first, and pyoxigraph runs the text the policy checked, normalised, never the
text as sent.

>>> from rdflib import Graph
>>> store = build_store(Graph())
>>> run_query(store, "ASK { ?s ?p ?o }").boolean
False
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from pedall.errors import QuerySyntaxError, UnsupportedQueryError
from pedall.namespaces import PREFIXES
from pedall.query.canonical_literals import canonical_term
from pedall.query.policy import DEFAULT_POLICY as DEFAULT_POLICY
from pedall.query.policy import QueryForm as QueryForm
from pedall.query.policy import QueryPolicy as QueryPolicy
from pedall.query.policy import check_query as check_query
from pedall.query.result_formats import ask_csv, ask_tsv, csv_results, xml_with_escaped_cr

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


# Media types of SELECT/ASK results and of CONSTRUCT/DESCRIBE graphs: lookup tables for
# content negotiation. The first entry of each format is its canonical media type.
RESULTS_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/xml": ox.RdfFormat.RDF_XML,
}


def to_oxigraph(term: Node, blank_nodes: dict[BNode, ox.BlankNode]) -> Term:
    """The pyoxigraph term for an rdflib term (blank nodes mapped through ``blank_nodes``)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        if term not in blank_nodes:
            blank_nodes[term] = ox.BlankNode()
        return blank_nodes[term]
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an RDF term")


def oxigraph_triples(graph: Graph) -> Iterator[ox.Triple]:
    """The triples of ``graph`` as pyoxigraph triples, leaving out the generalized ones
    (a literal subject or a non-IRI predicate) that OWL RL closures contain and RDF forbids."""
    blank_nodes: dict[BNode, ox.BlankNode] = {}
    for subject, predicate, obj in graph:
        if isinstance(subject, Literal) or not isinstance(predicate, URIRef):
            continue
        yield ox.Triple(
            to_oxigraph(subject, blank_nodes),  # type: ignore[arg-type]
            ox.NamedNode(str(predicate)),
            to_oxigraph(obj, blank_nodes),
        )


def build_store(graph: Graph) -> ox.Store:
    """An in-memory pyoxigraph store holding the triples of ``graph`` in its default graph."""
    store = ox.Store()
    store.extend(
        ox.Quad(triple.subject, triple.predicate, triple.object)
        for triple in oxigraph_triples(graph)
    )
    return store


@dataclass(frozen=True)
class QueryResult:
    """The result of one query, read to the end.

    SELECT: ``variables`` and ``rows`` (one RDF term or ``None`` per variable);
    ASK: ``boolean``; CONSTRUCT/DESCRIBE: ``triples``.
    """

    form: QueryForm
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[ox.Triple, ...] = ()

    def bindings(self) -> list[dict[str, Term]]:
        """The SELECT rows as dictionaries from variable name to bound term."""
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]

    def column(self, variable: str) -> list[str | None]:
        """The string values bound to ``variable``, row by row (``None`` when unbound)."""
        index = self.variables.index(variable)
        return [None if row[index] is None else term_value(row[index]) for row in self.rows]


def term_value(term: Term | None) -> str:
    """The IRI, lexical form or blank node id of a term ("" for ``None``)."""
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def compact_term(term: Term | None, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A short text for a person: a CURIE where a prefix fits, else the IRI or literal value.

    >>> compact_term(ox.NamedNode("https://w3id.org/pedall/BCR-ABL1"))
    'pedall:BCR-ABL1'
    """
    if isinstance(term, ox.NamedNode):
        best = max(
            (
                (prefix, namespace)
                for prefix, namespace in prefixes.items()
                if term.value.startswith(namespace)
            ),
            key=lambda item: len(item[1]),
            default=None,
        )
        if best is not None:
            return f"{best[0]}:{term.value[len(best[1]) :]}"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term_value(term)


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(\d+)(\.\d+)?")


def binding_term(value: str, prefixes: Mapping[str, str] = PREFIXES) -> Term:
    """The RDF term a person means by ``value`` when binding a query variable: an IRI for
    ``<...>``, ``http(s)://...``, ``urn:...`` or a CURIE of a known prefix; an integer or
    decimal for a number; a plain string otherwise.

    >>> binding_term("pedall:KMT2A-AFF1")
    <NamedNode value=https://w3id.org/pedall/KMT2A-AFF1>
    >>> binding_term("10").datatype
    <NamedNode value=http://www.w3.org/2001/XMLSchema#integer>
    """
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if value.startswith(("http://", "https://", "urn:")):
        return ox.NamedNode(value)
    prefix, colon, local = value.partition(":")
    if colon and prefix in prefixes:
        return ox.NamedNode(prefixes[prefix] + local)
    number = _NUMBER.fullmatch(value)
    if number:
        kind = "decimal" if number.group(2) else "integer"
        return ox.Literal(value, datatype=ox.NamedNode(f"http://www.w3.org/2001/XMLSchema#{kind}"))
    return ox.Literal(value)


# pyoxigraph's evaluation errors that mean the query has to change, not the engine
# ("The custom function <...> is not supported", "... requires between 1 and 2 arguments").
_UNSUPPORTED = re.compile(r"The (custom )?function \S+ (is not supported|requires between)")


def run_query(
    store: ox.Store,
    text: str,
    *,
    policy: QueryPolicy = DEFAULT_POLICY,
    prefixes: Mapping[str, str] = PREFIXES,
    bindings: Mapping[str, Term] | None = None,
    base_iri: str | None = None,
) -> QueryResult:
    """Check ``text`` against ``policy`` and run it on ``store``.

    ``prefixes`` are declared for the query in advance (pedall's by default), so a query
    may use ``pedall:`` or ``skos:`` without its own PREFIX lines. ``bindings`` give
    variables a value before the query runs (SEP-0007 substitution, as if by ``VALUES``):
    one library query then answers for one lesion or one source. ``base_iri`` resolves
    the relative IRIs of a query without ``BASE`` (the endpoint's own IRI on the service).
    The text run is the policy's normalised text (``ParsedQuery.text``), so the engine
    reads exactly what the policy read. Literals come back in canonical form
    (``pedall.query.canonical_literals``). Raises ``ForbiddenQueryError``,
    ``QuerySyntaxError`` or ``UnsupportedQueryError`` (an unknown function).
    """
    for name in bindings or {}:
        if not _VARIABLE_NAME.fullmatch(name):
            raise QuerySyntaxError(f"{name!r} is not a SPARQL variable name")
    substitutions = {ox.Variable(name): term for name, term in (bindings or {}).items()}
    parsed = check_query(text, policy)
    try:
        answer = store.query(
            parsed.text, base_iri=base_iri, prefixes=dict(prefixes), substitutions=substitutions
        )
        return _read_answer(parsed.form, answer)
    except SyntaxError as error:
        raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
    except RuntimeError as error:  # evaluation errors, raised as the answer is read
        if _UNSUPPORTED.match(str(error)):
            raise UnsupportedQueryError(
                f"{error}: pedall's engine knows the SPARQL 1.1 functions and the XSD casts"
            ) from None
        raise


def _read_answer(
    form: QueryForm, answer: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples
) -> QueryResult:
    """The whole answer, its literals in canonical form."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form=QueryForm.ASK, boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = tuple(variable.value for variable in answer.variables)
        rows = tuple(
            tuple(None if term is None else canonical_term(term) for term in solution)
            for solution in answer
        )
        return QueryResult(form=QueryForm.SELECT, variables=variables, rows=rows)
    graph_form = form if form.returns_graph else QueryForm.CONSTRUCT
    triples = tuple(
        ox.Triple(triple.subject, triple.predicate, canonical_term(triple.object))
        for triple in answer
    )
    return QueryResult(form=graph_form, triples=triples)


def canonical_ntriples(ntriples: bytes) -> bytes:
    """The same triples, one a line in sorted order, with blank nodes relabelled by
    RDFC-1.0 (``c14n0``, ``c14n1``, ...): the same graph gives the same bytes whatever its
    blank-node labels and order, so stores loaded from it keep those labels
    (``load_labelled``) and answer alike in every process and every run."""
    dataset = ox.Dataset(
        ox.Quad(triple.subject, triple.predicate, triple.object)
        for triple in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = sorted(f"{quad.subject} {quad.predicate} {quad.object} .\n" for quad in dataset)
    return "".join(lines).encode("utf-8")


def load_labelled(ntriples: bytes) -> ox.Store:
    """A store holding ``ntriples`` with their blank-node labels as written
    (``Store.load`` gives blank nodes fresh random labels)."""
    store = ox.Store()
    store.extend(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    return store


def serialize_result(
    result: QueryResult, media_type: str, prefixes: Mapping[str, str] = PREFIXES
) -> bytes:
    """Serialize ``result`` in ``media_type`` with pyoxigraph's serializers.

    SELECT/ASK: a key of ``RESULTS_MEDIA_TYPES``; CONSTRUCT/DESCRIBE: a key of
    ``GRAPH_MEDIA_TYPES``. Any other media type is a ``ValueError``.
    """
    if result.form.returns_graph:
        if media_type not in GRAPH_MEDIA_TYPES:
            raise ValueError(
                f"{media_type} is not a graph format; expected one of {sorted(GRAPH_MEDIA_TYPES)}"
            )
        buffer = io.BytesIO()
        ox.serialize(
            result.triples, buffer, format=GRAPH_MEDIA_TYPES[media_type], prefixes=dict(prefixes)
        )
        return buffer.getvalue()
    if media_type not in RESULTS_MEDIA_TYPES:
        raise ValueError(
            f"{media_type} is not a results format; expected one of {sorted(RESULTS_MEDIA_TYPES)}"
        )
    results_format = RESULTS_MEDIA_TYPES[media_type]
    if result.form is QueryForm.ASK:
        boolean = bool(result.boolean)
        if results_format == ox.QueryResultsFormat.CSV:
            return ask_csv(boolean)
        if results_format == ox.QueryResultsFormat.TSV:
            return ask_tsv(boolean)
        parsed = ox.parse_query_results(_ask_json(boolean), format=ox.QueryResultsFormat.JSON)
    elif results_format == ox.QueryResultsFormat.CSV:
        return csv_results(
            result.variables,
            ([None if term is None else _csv_text(term) for term in row] for row in result.rows),
        )
    else:
        parsed = ox.parse_query_results(
            _select_ntriples_tsv(result), format=ox.QueryResultsFormat.TSV
        )
    buffer = io.BytesIO()
    parsed.serialize(buffer, format=results_format)
    if results_format == ox.QueryResultsFormat.XML:
        return xml_with_escaped_cr(buffer.getvalue())
    return buffer.getvalue()


def _csv_text(term: Term) -> str:
    """A term as SPARQL CSV writes it: an IRI or a literal's lexical form, ``_:label``."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term_value(term)


def _ask_json(boolean: bool) -> bytes:
    return b'{"head":{},"boolean":%s}' % (b"true" if boolean else b"false")


def _select_ntriples_tsv(result: QueryResult) -> bytes:
    """The SELECT result as SPARQL TSV, whose cells are N-Triples terms: a lossless text
    that pyoxigraph's results parser reads back for its serializers."""
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    lines.extend(
        "\t".join("" if term is None else str(term) for term in row) for row in result.rows
    )
    return ("\n".join(lines) + "\n").encode("utf-8")
