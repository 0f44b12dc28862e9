"""Shape groups (which shapes files an engine loads), read from the files' ontology headers.

A shapes file whose ``owl:Ontology`` header says ``pedall:shapeGroup "classification"``
roots that group; the group is its roots with every shapes file they import, directly or
not (an ``owl:imports`` of an IRI under ``https://w3id.org/pedall/shapes/``; imports of the
ontology are skipped, the ontology being loaded whole anyway). A new shapes file joins a
group by its own header, with no edit elsewhere. A group lists its files dependencies
first (a file after the files it imports), roots by file name.

Every command that classifies or validates asks for a group, so only the headers are read:
the first statement of each file, where the canonical form puts the header, by a small
reader of Turtle terms (rdflib's parser costs about a millisecond a file, and need not be
imported). A file whose first statement is not its header (a copy written otherwise, or
Turtle the small reader does not know) is parsed whole by rdflib instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pedall.errors import DataFileError

SHAPES_NAMESPACE = "https://w3id.org/pedall/shapes/"
SHAPE_GROUP = "https://w3id.org/pedall/shapeGroup"
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_READ = (RDF_TYPE, OWL_IMPORTS, SHAPE_GROUP)  # the predicates of a header that matter here

_SPACE = re.compile(r"(?:\s+|#[^\n]*)*")
_PREFIX = r"(?:[A-Za-z](?:[\w.-]*[\w-])?)?"
_DIRECTIVE = re.compile(rf"(?:@prefix|PREFIX)\s+({_PREFIX}):\s*<([^<>\s]*)>(?:\s*\.)?")
_STRING = r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"'
_TOKEN = re.compile(  # a term or a punctuation mark, and the space after it
    r"(?:<(?P<iri>[^<>\"{}|^`\\\s]*)>"
    rf"|(?P<string>{_STRING})(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>\s]*>|{_PREFIX}:[\w-]*))?"
    rf"|(?P<pname>{_PREFIX}:(?:[\w-](?:[\w.:-]*[\w:-])?)?)"
    r"|(?P<punct>[;,.\[\]()])"
    r"|(?P<word>[\w+-]+(?:\.\w+)*))(?:\s+|#[^\n]*)*"
)
_END, _NEXT, _MORE = ("punct", "."), ("punct", ";"), ("punct", ",")


@dataclass(frozen=True)
class ShapesHeader:
    """What the ``owl:Ontology`` header of one shapes file declares (``iri`` is None for a
    file with no header, which then declares nothing)."""

    path: Path
    iri: str | None
    imports: tuple[str, ...]
    groups: tuple[str, ...]


def _skip_space(text: str, position: int) -> int:
    return _SPACE.match(text, position).end()  # type: ignore[union-attr]  # matches ""


class _Unreadable(Exception):
    """The first statement is not a header the small reader knows: parse the file whole."""


class _FirstStatement:
    """The subject of a Turtle text's first statement and the objects of the predicates in
    ``_READ`` (IRIs expanded, literals by their lexical form). Nested blank nodes and
    collections are skipped: no header value that matters here is one."""

    def __init__(self, text: str) -> None:
        self.prefixes: dict[str, str] = {}
        position = _skip_space(text, 0)
        while directive := _DIRECTIVE.match(text, position):
            self.prefixes[directive[1]] = directive[2]
            position = _skip_space(text, directive.end())
        self.tokens = self._tokens(text, position)
        self.peeked: tuple[str, str] | None = None
        self.objects: dict[str, list[str]] = {predicate: [] for predicate in _READ}
        self.subject = self._named(self._next())
        self._predicate_objects()

    @staticmethod
    def _tokens(text: str, position: int) -> Iterator[tuple[str, str]]:
        while position < len(text):
            token = _TOKEN.match(text, position)
            if token is None or token.lastgroup is None:
                raise _Unreadable
            yield token.lastgroup, token[token.lastgroup]
            position = token.end()

    def _next(self) -> tuple[str, str]:
        token, self.peeked = self.peeked or next(self.tokens, None), None
        if token is None:
            raise _Unreadable  # the text ends inside the statement
        return token

    def _peek(self) -> tuple[str, str]:
        self.peeked = self._next()
        return self.peeked

    def _named(self, token: tuple[str, str]) -> str:
        kind, text = token
        if kind == "iri" and ":" in text:
            return text
        if kind == "pname":
            prefix, _, local = text.partition(":")
            if prefix in self.prefixes:
                return self.prefixes[prefix] + local
        if token == ("word", "a"):
            return RDF_TYPE
        raise _Unreadable  # a relative IRI, an unknown prefix, a blank node

    def _predicate_objects(self) -> None:
        while True:
            predicate = self._named(self._next())
            token = _MORE
            while token == _MORE:
                value = self._object()
                if predicate in self.objects and value is not None:
                    self.objects[predicate].append(value)
                token = self._next()
            while token == _NEXT and self._peek() in (_NEXT, _END):
                token = self._next()
            if token == _END:
                return
            if token != _NEXT:
                raise _Unreadable

    def _object(self) -> str | None:
        kind, text = self._next()
        if kind == "string":
            if "\\" in text:
                raise _Unreadable  # escapes: rdflib reads them
            quote = '"""' if text.startswith('"""') else '"'
            return text[len(quote) : text.rindex(quote)]
        if (kind, text) in (("punct", "["), ("punct", "(")):
            depth = 1
            while depth:
                depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(self._next()[1], 0)
            return None
        return text if kind == "word" else self._named((kind, text))


def read_header(path: Path) -> ShapesHeader:
    """The header of the shapes file at ``path``: read from its first statement when that
    is its ``owl:Ontology``, else from the whole file parsed by rdflib."""
    try:
        statement = _FirstStatement(path.read_text(encoding="utf-8"))
    except _Unreadable:
        return _parsed_header(path)
    if OWL_ONTOLOGY not in statement.objects[RDF_TYPE]:
        return _parsed_header(path)
    objects = statement.objects
    return ShapesHeader(
        path, statement.subject, tuple(objects[OWL_IMPORTS]), tuple(objects[SHAPE_GROUP])
    )


def _parsed_header(path: Path) -> ShapesHeader:
    from rdflib import Graph, URIRef
    from rdflib.namespace import OWL, RDF

    try:
        graph = Graph(bind_namespaces="none").parse(path, format="turtle")
    except Exception as error:  # rdflib raises several unrelated types for bad Turtle
        raise DataFileError(f"{path}: not valid Turtle: {error}") from error
    headers = sorted(set(graph.subjects(RDF.type, OWL.Ontology)), key=str)
    if len(headers) > 1:
        raise DataFileError(f"{path}: more than one owl:Ontology header: {headers}")
    if not headers:
        return ShapesHeader(path, None, (), ())
    header = headers[0]
    return ShapesHeader(
        path,
        str(header),
        tuple(str(target) for target in graph.objects(header, OWL.imports)),
        tuple(str(group) for group in graph.objects(header, URIRef(SHAPE_GROUP))),
    )


def read_headers(folder: Path) -> list[ShapesHeader]:
    """The header of every shapes file (``*.ttl``) in ``folder``, by file name."""
    return [read_header(path) for path in sorted(folder.glob("*.ttl"))]


def shape_groups(folder: Path) -> dict[str, list[Path]]:
    """Every shape group the files in ``folder`` declare, by name, with its files."""
    headers = read_headers(folder)
    names = sorted({group for header in headers for group in header.groups})
    return {name: _group(headers, name, folder) for name in names}


def shape_group(folder: Path, name: str) -> list[Path]:
    """The files of the shape group ``name``: its roots and what they import.

    >>> [path.name for path in shape_group(Path("shapes"), "data-quality")]  # doctest: +SKIP
    ['derived-findings.ttl', 'patient-data.ttl']
    """
    return _group(read_headers(folder), name, folder)


def _group(headers: list[ShapesHeader], name: str, folder: Path) -> list[Path]:
    by_iri: dict[str, ShapesHeader] = {}
    for header in headers:
        if header.iri is not None and header.iri in by_iri:
            raise DataFileError(
                f"{by_iri[header.iri].path} and {header.path} both declare <{header.iri}>"
            )
        if header.iri is not None:
            by_iri[header.iri] = header
    roots = [header for header in headers if name in header.groups]
    if not roots:
        declared = sorted({group for header in headers for group in header.groups})
        raise DataFileError(
            f"unknown shape group {name!r}: no shapes file in {folder} declares it "
            f"(pedall:shapeGroup in its owl:Ontology header); the groups declared are "
            f"{', '.join(map(repr, declared)) or 'none'}"
        )
    files: list[Path] = []
    seen: set[Path] = set()

    def visit(header: ShapesHeader) -> None:
        if header.path in seen:
            return
        seen.add(header.path)
        for target in sorted(header.imports):
            if not target.startswith(SHAPES_NAMESPACE):
                continue
            if target not in by_iri:
                expected = folder / f"{target.removeprefix(SHAPES_NAMESPACE)}.ttl"
                found = "has another header" if expected.exists() else "does not exist"
                raise DataFileError(
                    f"{header.path} imports <{target}>, but no shapes file declares it "
                    f"({expected} {found})"
                )
            visit(by_iri[target])
        files.append(header.path)

    for root in roots:
        visit(root)
    return files
