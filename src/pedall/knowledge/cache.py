"""Keep the OWL RL closure of the knowledge graph on disk, so a process reads it, not infers it.

Inference (owlrl) takes seconds; reading the cache a fraction of one. The cache file is
N-Triples (never pickle) under the user cache folder (``$PEDALL_CACHE_DIR``, else
``platformdirs.user_cache_dir("pedall")``), named by a key: a hash of the ontology files'
names and bytes and of the pedall, owlrl and rdflib versions. It holds two sections, the
asserted triples and the ones inference adds, parsed with one blank-node map so the
asserted graph and the closure share their blank nodes as when inferred in-process.

The file is never trusted: a header line must carry the key, a hash of the body and the
triple counts, and any mismatch or parse failure means "absent" (the caller rebuilds and
rewrites it). It is written atomically (a temporary file, then a rename). It is read by
a reader of the one line form rdflib's N-Triples writer gives each triple (the hash says
the writer was ours), which takes a third of the time rdflib's general parser did.
``$PEDALL_NO_CACHE=1`` (or ``pedall --no-cache``) turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compat import decodeUnicodeEscape
from rdflib.plugins.serializers.nt import _nt_row
from rdflib.term import Node

from pedall import __version__
from pedall.knowledge.data_files import DataFiles

ENV_CACHE_DIR = "PEDALL_CACHE_DIR"
ENV_NO_CACHE = "PEDALL_NO_CACHE"
FORMAT = "pedall-owl-rl-closure 1"
_ASSERTED = "# asserted"
_INFERRED = "# inferred"


def caching_disabled() -> bool:
    """``$PEDALL_NO_CACHE`` is set to something other than empty, 0, false or no."""
    return os.environ.get(ENV_NO_CACHE, "").strip().lower() not in ("", "0", "false", "no")


def default_cache_folder() -> Path:
    """``$PEDALL_CACHE_DIR``, else the platform's user cache folder for pedall."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("pedall"))


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def cache_key(file_format: str, paths: Iterable[Path]) -> str:
    """A hash of a cache file's format, the pedall, owlrl and rdflib versions and the
    names and bytes of the files (``paths``, in order) its content is made from."""
    digest = hashlib.sha256(file_format.encode())
    for name in ("pedall", "owlrl", "rdflib"):
        version_text = __version__ if name == "pedall" else _package_version(name)
        digest.update(f"\0{name} {version_text}".encode())
    for path in paths:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CachedKnowledge:
    """The asserted knowledge graph and its closure, read from the cache (shared blank nodes)."""

    asserted: Graph
    closure: Graph


@dataclass(frozen=True)
class ClosureCache:
    """The closure cache in one folder."""

    folder: Path

    @classmethod
    def default(cls) -> ClosureCache | None:
        """The user's cache, or None when ``$PEDALL_NO_CACHE`` turns caching off."""
        return None if caching_disabled() else cls(default_cache_folder())

    def key(self, files: DataFiles) -> str:
        """What the closure depends on: the ontology files and the software inferring it."""
        return cache_key(FORMAT, files.ontology_files())

    def path(self, key: str) -> Path:
        return self.folder / f"owl-rl-closure-{key[:32]}.nt"

    def read(self, key: str) -> CachedKnowledge | None:
        """The cached graphs under ``key``, or None if absent, stale or damaged."""
        try:
            text = self.path(key).read_text(encoding="utf-8")
            return _parse(text, key)
        except Exception:  # damaged in any way (I/O, encoding, syntax): rebuild, never trust
            return None

    def read_ntriples(self, key: str) -> bytes | None:
        """The cached closure under ``key`` as N-Triples (for a query store, no rdflib graph
        built), or None if absent, stale or damaged."""
        try:
            text = self.path(key).read_text(encoding="utf-8")
            checked = _checked(text, key)
        except Exception:  # damaged in any way: rebuild, never trust
            return None
        return None if checked is None else checked[1].encode("utf-8")

    def write(self, key: str, asserted: Graph, closure: Graph) -> None:
        """Store the graphs under ``key``; a folder that cannot be written is left alone."""
        text = _serialize(key, asserted, closure)
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".closure-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temporary, self.path(key))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise


def _serialize(key: str, asserted: Graph, closure: Graph) -> str:
    added = [triple for triple in closure if triple not in asserted]
    body = "".join(
        [_ASSERTED, "\n", *(_nt_row(t) for t in asserted), _INFERRED, "\n"]
        + [_nt_row(t) for t in added]
    )
    prefixes = "".join(
        f"# prefix {prefix} <{namespace}>\n" for prefix, namespace in closure.namespaces()
    )
    header = (
        f"# {FORMAT}\n# key {key}\n"
        f"# body {hashlib.sha256(body.encode()).hexdigest()} {len(asserted)} {len(added)}\n"
    )
    return header + prefixes + body


def ntriples(closure: Graph) -> bytes:
    """``closure`` (without generalized triples) as N-Triples."""
    return "".join(_nt_row(triple) for triple in closure).encode("utf-8")


def _checked(text: str, key: str) -> tuple[str, str, int, int] | None:
    """The prefix lines, the body and the two triple counts of a cache file's text, if its
    header names ``key`` and the body's hash; else None."""
    lines = text.split("\n", 3)
    if len(lines) < 4 or lines[0] != f"# {FORMAT}" or lines[1] != f"# key {key}":
        return None
    _, _, body_hash, asserted_count, added_count = lines[2].split(" ")
    prefixes, separator, body = lines[3].partition(_ASSERTED + "\n")
    body = separator + body
    if hashlib.sha256(body.encode()).hexdigest() != body_hash:
        return None
    return prefixes, body, int(asserted_count), int(added_count)


def _parse(text: str, key: str) -> CachedKnowledge | None:
    checked = _checked(text, key)
    if checked is None:
        return None
    prefixes, body, asserted_count, added_count = checked
    asserted_text, separator, added_text = body[len(_ASSERTED) + 1 :].partition(_INFERRED + "\n")
    if not separator:
        return None
    asserted, closure = Graph(), Graph()
    for line in prefixes.splitlines():
        _, _, prefix, namespace = line.split(" ")
        for graph in (asserted, closure):
            graph.bind(prefix, namespace.strip("<>"), override=True)
    reader = _LineReader()
    for triple in reader.triples(asserted_text):
        asserted.add(triple)
        closure.add(triple)
    for triple in reader.triples(added_text):
        closure.add(triple)
    if len(asserted) != asserted_count or len(closure) != asserted_count + added_count:
        return None
    return CachedKnowledge(asserted, closure)


class _LineReader:
    """Reads the lines ``_nt_row`` writes (``S P O .``, one triple a line, only ``\\``,
    ``\\n``, ``\\"`` and ``\\r`` escaped), with one blank-node map for every section, so
    the asserted graph and the closure share their blank nodes; each IRI is built once.
    The lexical forms are unescaped as rdflib's N-Triples parser does. Anything else is a
    ValueError (the file is then not used)."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}  # "<iri>" and "_:label" to the node

    def triples(self, text: str) -> Iterator[tuple[Node, Node, Node]]:
        lines = text.split("\n")  # not splitlines: a literal may hold U+2028 and the like
        if lines.pop() != "":
            raise ValueError("the last triple has no line end")
        for line in lines:
            if not line.endswith(" ."):
                raise ValueError(f"not a triple line: {line!r}")
            subject, _, rest = line[:-2].partition(" ")
            predicate, _, obj = rest.partition(" ")
            if not predicate.startswith("<"):
                raise ValueError(f"not a predicate: {predicate!r}")
            yield self.node(subject), self.node(predicate), self.object(obj)

    def node(self, text: str) -> Node:
        """The IRI or blank node written as ``text``."""
        node = self.nodes.get(text)
        if node is None:
            if text.startswith("_:") and len(text) > 2:
                node = BNode()
            elif text.startswith("<") and text.endswith(">"):
                node = URIRef(decodeUnicodeEscape(text[1:-1]))
            else:
                raise ValueError(f"not an IRI or a blank node: {text!r}")
            self.nodes[text] = node
        return node

    def object(self, text: str) -> Node:
        if not text.startswith('"'):
            return self.node(text)
        end = text.rindex('"')  # neither a language tag nor an IRI holds a quote
        lexical, suffix = decodeUnicodeEscape(text[1:end]), text[end + 1 :]
        if not suffix:
            return Literal(lexical)
        if suffix.startswith("@"):
            return Literal(lexical, lang=suffix[1:])
        if suffix.startswith("^^"):
            datatype = self.node(suffix[2:])
            if isinstance(datatype, URIRef):
                return Literal(lexical, datatype=datatype)
        raise ValueError(f"not a literal: {text!r}")
