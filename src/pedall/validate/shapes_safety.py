"""Load a user's SHACL shapes (Turtle) and refuse, before anything runs, what would reach
outside the data.

Refused: SPARQL ``SERVICE``, ``FROM``/``FROM NAMED`` and updates (``LOAD`` ...) in any
``sh:select``, ``sh:ask`` or ``sh:construct`` (SPARQL constraints, SPARQL-based constraint
components, SPARQL targets, rules, functions), checked by the query policy
(``pedall.query.policy``) on the text pyshacl will compose: the ``PREFIX`` lines of every
``sh:declare`` followed by the query. The policy normalises the text (CR and CRLF line
ends, codepoint escapes), and the normalised query is what the shapes then hold, so
pyshacl runs the text that was checked. Also refused: ``owl:imports``,
``sh:shapesGraph`` and ``sh:suggestedShapesGraph`` (a graph to load), SHACL-JavaScript
(``sh:jsLibrary``, ``sh:jsLibraryURL``, ``sh:jsFunctionName``: a library to load), and
``sh:prefix``/``sh:namespace`` values that are not a plain prefix name or IRI (they are
pasted into the query text). Nothing named in the shapes is ever fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import OWL, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from pedall.errors import (
    ForbiddenQueryError,
    QuerySyntaxError,
    RefusedShapesError,
    ShapesSyntaxError,
)
from pedall.namespaces import PREFIXES
from pedall.query.policy import check_query, normalise_query_text

QUERY_PROPERTIES = (SH.select, SH.ask, SH.construct)
REACHING_OUT = {
    OWL.imports: "owl:imports names a graph to load",
    SH.shapesGraph: "sh:shapesGraph names a graph to load",
    SH.suggestedShapesGraph: "sh:suggestedShapesGraph names a graph to load",
    SH.jsLibrary: "SHACL-JavaScript loads libraries",
    SH.jsLibraryURL: "SHACL-JavaScript loads libraries",
    SH.jsFunctionName: "SHACL-JavaScript is not run",
}
_PREFIX_NAME = re.compile(r"[A-Za-z][\w.-]*|")
_IRI = re.compile(r"[^\s<>\"{}|^`\\]+")


@dataclass(frozen=True)
class LoadedShapes:
    """Shapes that passed the checks: the graph (its queries normalised) and the prefixes
    its files declared (for naming shapes and properties in reports)."""

    graph: Graph
    prefixes: dict[str, str]


def load_shapes(texts: list[tuple[str, str]]) -> LoadedShapes:
    """The shapes of ``texts`` (source name, Turtle text), checked: a ``ShapesSyntaxError``
    naming the source and line of a text that is not Turtle, a ``RefusedShapesError``
    naming the shape and what it asks for when it would reach out."""
    graph = Graph()
    prefixes = dict(PREFIXES)
    for source, text in texts:
        parser = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
        try:
            triples = [quad.triple for quad in parser]
        except SyntaxError as error:
            raise ShapesSyntaxError(
                f"{source}, line {error.lineno}: not valid Turtle: {error.msg}", line=error.lineno
            ) from None
        prefixes.update(parser.prefixes)
        ntriples = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        graph.parse(data=ntriples, format="nt")
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace, override=True)
    refuse_reaching_out(graph)
    return LoadedShapes(graph, prefixes)


def refuse_reaching_out(shapes: Graph) -> None:
    """``RefusedShapesError`` for the first thing in ``shapes`` that would reach outside
    the data (see the module docstring); the queries that pass are left normalised."""
    for predicate, why in REACHING_OUT.items():
        for subject, value in shapes.subject_objects(predicate):
            raise RefusedShapesError(
                f"{_name(shapes, subject)} {_name(shapes, predicate)} {_name(shapes, value)} "
                f"refused: {why}, and pedall fetches nothing"
            )
    header = _prefix_header(shapes)
    for predicate in QUERY_PROPERTIES:
        for subject, query in list(shapes.subject_objects(predicate)):
            where = f"{_name(shapes, _holder(shapes, subject))} {_name(shapes, predicate)}"
            if not isinstance(query, Literal):
                raise RefusedShapesError(f"{where}: expected the query text, got {query}")
            try:
                normalised = normalise_query_text(str(query))
                check_query(header + normalised)
            except ForbiddenQueryError as error:
                raise RefusedShapesError(f"{where}: {error}") from None
            except QuerySyntaxError as error:
                raise RefusedShapesError(f"{where}: cannot be checked: {error}") from None
            shapes.remove((subject, predicate, query))
            shapes.add((subject, predicate, Literal(normalised)))


def _prefix_header(shapes: Graph) -> str:
    """The ``PREFIX`` lines of every ``sh:declare`` (pyshacl puts those a query's
    ``sh:prefixes`` reach before its text), each value checked to be inert there."""
    lines = []
    for declaration in shapes.objects(None, SH.declare):
        for prefix in shapes.objects(declaration, SH.prefix):
            if _PREFIX_NAME.fullmatch(str(prefix)) is None:
                raise RefusedShapesError(f"sh:prefix {str(prefix)!r} refused: not a prefix name")
            for namespace in shapes.objects(declaration, SH.namespace):
                if _IRI.fullmatch(str(namespace)) is None:
                    raise RefusedShapesError(f"sh:namespace {str(namespace)!r} refused: not an IRI")
                lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(lines)


def _holder(shapes: Graph, node: Node) -> Node:
    """``node``, or for a blank node the nearest named node holding it (its shape)."""
    seen: set[Node] = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        node = next(iter(shapes.subjects(None, node)), node)
    return node


def _name(shapes: Graph, node: Node) -> str:
    """A node as a person reads it: a prefixed name or ``<iri>``, a blank node as such."""
    if isinstance(node, URIRef):
        try:
            return shapes.namespace_manager.curie(str(node), generate=False)
        except (KeyError, ValueError):
            return f"<{node}>"
    if isinstance(node, Literal):
        return repr(str(node))
    return "a blank node"
