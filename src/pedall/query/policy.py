"""The query policy: which SPARQL texts may run on the knowledge graph (read-only, offline).

SPARQL Update, ``SERVICE`` and ``FROM``/``FROM NAMED`` are refused, because pyoxigraph
would follow a ``SERVICE`` IRI over HTTP and nothing a client sends may open a connection.

The policy and the engine must read the same text, or a query can look harmless to one
and not to the other. So a text is normalised once (``normalise_query_text``) and that
normalised text is both what the policy checks and what pyoxigraph runs
(``ParsedQuery.text``):

- line ends: CRLF and a bare CR become LF. pyoxigraph ends a ``#`` comment at CR or LF,
  rdflib's grammar at LF only: without this, ``# x\\rSERVICE <...>`` is a comment to
  the policy and a SERVICE call to pyoxigraph. (Checked with pyoxigraph 0.5: form feed,
  vertical tab, NEL, U+2028 and U+2029 end neither engine's comments, so they stay.)
- codepoint escapes: ``\\uXXXX`` and ``\\UXXXXXXXX`` are replaced, as SPARQL 1.1
  (section 19.2) says they are before parsing; pyoxigraph honours them only inside
  strings and IRIs. An escape that yields an escape, a surrogate or no codepoint is a
  syntax error, so no escape is left for either reader to interpret its own way.

The check then parses the normalised text (rdflib's SPARQL grammar) and, as a second line
of defence against parser differences, scans its tokens outside comments, strings and IRIs.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from pedall.errors import ForbiddenQueryError, QuerySyntaxError, ReadOnlyError


class QueryForm(Enum):
    """The four forms of a SPARQL query."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE return triples; SELECT and ASK return results."""
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


_FORM_BY_PARSE_NAME = {
    "SelectQuery": QueryForm.SELECT,
    "AskQuery": QueryForm.ASK,
    "ConstructQuery": QueryForm.CONSTRUCT,
    "DescribeQuery": QueryForm.DESCRIBE,
}


@dataclass(frozen=True)
class ParsedQuery:
    """A query that passed the policy: its normalised text (the text to run) and its form."""

    text: str
    form: QueryForm


@dataclass(frozen=True)
class QueryPolicy:
    """What a query may do. The only knob is the size of the text: everything that could
    write or reach outside the graph (update, SERVICE, FROM) is always refused."""

    max_length: int = 1 << 17  # characters; longer query texts are refused

    def check(self, text: str) -> ParsedQuery:
        """Normalise ``text``, parse and classify it, or raise why it cannot run.

        Raises ``ReadOnlyError`` (a ``ForbiddenQueryError``) for an update,
        ``ForbiddenQueryError`` for ``SERVICE``, ``FROM``/``FROM NAMED`` or a text over
        ``max_length``; ``QuerySyntaxError`` with the parser's message when
        the text is not a SPARQL query. The ``ParsedQuery.text`` returned is the
        normalised text, the only one that may be given to the engine.
        """
        if len(text) > self.max_length:
            raise ForbiddenQueryError(
                f"query of {len(text)} characters is over the limit of {self.max_length}"
            )
        normalised = normalise_query_text(text)
        return ParsedQuery(text=normalised, form=_classify(normalised))


DEFAULT_POLICY = QueryPolicy()


def check_query(text: str, policy: QueryPolicy = DEFAULT_POLICY) -> ParsedQuery:
    """Classify ``text`` as SELECT/ASK/CONSTRUCT/DESCRIBE, refusing what ``policy`` forbids.

    >>> check_query("SELECT * WHERE { ?s ?p ?o }").form
    <QueryForm.SELECT: 'SELECT'>
    """
    return policy.check(text)


_LINE_END = re.compile(r"\r\n?")
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def normalise_query_text(text: str) -> str:
    """``text`` with CRLF and CR made LF and codepoint escapes replaced (see the module
    docstring); ``QuerySyntaxError`` for an escape that cannot be replaced once and for all.

    >>> normalise_query_text("# note\\rSERV\\\\u0049CE")
    '# note\\nSERVICE'
    """

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > sys.maxunicode or 0xD800 <= code <= 0xDFFF:
            raise QuerySyntaxError(
                f"SPARQL syntax error: {match.group(0)} at character {match.start()} "
                "is not a codepoint (a surrogate or beyond U+10FFFF)"
            )
        return chr(code)

    unescaped = _CODEPOINT_ESCAPE.sub(character, _LINE_END.sub("\n", text))
    left = _CODEPOINT_ESCAPE.search(unescaped)
    if left is not None:
        raise QuerySyntaxError(
            f"SPARQL syntax error: the codepoint escapes make another escape, {left.group(0)}; "
            "write the character itself"
        )
    return _LINE_END.sub("\n", unescaped)


READ_ONLY_MESSAGE = "SPARQL Update is refused: the knowledge graph is read-only"
FROM_MESSAGE = "FROM and FROM NAMED are refused: queries run on the knowledge graph only"
SERVICE_MESSAGE = "SERVICE is refused: federated queries would make outbound requests"
_FORM_KEYWORDS = {form.value: form for form in QueryForm}
_UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
_FIRST_KEYWORD = re.compile(
    rf"(?<![\w?$:.-])({'|'.join((*_FORM_KEYWORDS, *_UPDATE_KEYWORDS, 'WITH'))})(?![\w:.-])",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=256)
def _classify(text: str) -> QueryForm:
    """The form of the (normalised) query ``text``, or the reason it is refused.

    Cached because parsing costs about as much as running a query on this graph, and a
    service answers the same library queries again and again (refusals are not cached:
    they raise).
    """
    try:
        tree = parseQuery(text)
    except ParseBaseException as query_error:
        if parses_as_update(text):
            raise ReadOnlyError(READ_ONLY_MESSAGE) from None
        raise QuerySyntaxError(f"SPARQL syntax error: {query_error}") from None
    except RecursionError:
        raise QuerySyntaxError("SPARQL syntax error: the query is nested too deeply") from None
    except Exception:  # rdflib's parser failed on it (see _classify_by_tokens)
        return _classify_by_tokens(text)
    query = tree[1]
    if "datasetClause" in query or keyword_outside_literals(text, "FROM"):
        raise ForbiddenQueryError(FROM_MESSAGE)
    if "ServiceGraphPattern" in parse_tree_names(tree) or keyword_outside_literals(text, "SERVICE"):
        raise ForbiddenQueryError(SERVICE_MESSAGE)
    return _FORM_BY_PARSE_NAME[query.name]


def _classify_by_tokens(text: str) -> QueryForm:
    """The form of a text that rdflib's parser fails on although it may be valid SPARQL
    (rdflib 7.6 raises ``TypeError`` for a negative decimal such as ``-1.0``, in a parse
    action): the first form keyword outside strings, IRIs and comments, after the same
    SERVICE and FROM token checks as every query. pyoxigraph, which runs the text, is then
    the one judge of its syntax, and its worker has no network in any case."""
    if keyword_outside_literals(text, "FROM"):
        raise ForbiddenQueryError(FROM_MESSAGE)
    if keyword_outside_literals(text, "SERVICE"):
        raise ForbiddenQueryError(SERVICE_MESSAGE)
    first = _FIRST_KEYWORD.search(_LITERALS_AND_COMMENTS.sub(" ", text))
    if first is None:
        raise QuerySyntaxError("SPARQL syntax error: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    keyword = first.group(1).upper()
    if keyword not in _FORM_KEYWORDS:
        raise ReadOnlyError(READ_ONLY_MESSAGE)
    return _FORM_KEYWORDS[keyword]


def parses_as_update(text: str) -> bool:
    """Whether ``text``, normalised as the policy reads it, is a SPARQL Update."""
    try:
        parseUpdate(normalise_query_text(text))
    except (ParseBaseException, RecursionError, QuerySyntaxError):
        return False
    except Exception:  # rdflib's parser failed on it: read its first keyword
        first = _FIRST_KEYWORD.search(_LITERALS_AND_COMMENTS.sub(" ", text))
        return first is not None and first.group(1).upper() not in _FORM_KEYWORDS
    return True


def parse_tree_names(node: Any) -> Iterator[str]:
    """The names of every node of an rdflib SPARQL parse tree (``SelectQuery``,
    ``ServiceGraphPattern`` ...), walking CompValues, ParseResults and lists."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ParseResults):  # a MutableMapping too, but its items are here
            stack.extend(current)
        elif isinstance(current, CompValue):
            yield current.name
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


# Strings (long and short), IRIs and comments: keywords inside them are not keywords.
# A comment ends at LF only, as in the normalised text no CR is left.
_LITERALS_AND_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n\r]*",
    re.DOTALL,
)


def keyword_outside_literals(text: str, keyword: str) -> bool:
    """Whether ``keyword`` occurs as a keyword token (not a variable, prefixed name, string,
    IRI or comment) in ``text``, raw or normalised: the conservative cross-check of the
    parser, against engines that read the text differently."""
    pattern = rf"(?<![\w?$:.-]){keyword}(?![\w:.-])"
    variants = {text, _LINE_END.sub("\n", _CODEPOINT_ESCAPE.sub(_escaped_character, text))}
    return any(
        re.search(pattern, _LITERALS_AND_COMMENTS.sub(" ", variant), flags=re.IGNORECASE)
        for variant in variants
    )


def _escaped_character(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= sys.maxunicode else match.group(0)
