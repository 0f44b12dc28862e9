"""Keep each shape group's compiled shapes on disk, so a process reads them instead of
parsing the shapes files and compiling them.

A ``ShapeGroup`` answers what the engines and the data-quality checks ask of the shapes
(``pedall.shacl.compiler.CompiledShapes``) from the cache where it holds the answer, and
compiles the rest from the group's files; ``save`` then writes the cache again. The shapes
graph itself, which only pyshacl (the reference engine and checker) needs, is parsed on
first use.

The cache file is JSON (``pedall.shacl.shape_codec``, never pickle), beside the closure
cache (``pedall.knowledge.cache``), one a group, named by a key: a hash of the group's files
(names and bytes), of the source of the code that compiles and encodes them (so a changed
compiler never reads what an older one wrote, whatever the version says) and of the
pedall, owlrl and rdflib versions. It is never trusted: its header must carry the key and
a hash of the body, and a mismatch, a body the codec does not read, or any I/O error means
"absent" (the shapes are compiled and the file rewritten). It is written whole (a
temporary file, then a rename); a folder that cannot be written is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from rdflib import Graph, URIRef

from pedall.atomic_files import write_atomically
from pedall.knowledge.cache import cache_key
from pedall.knowledge.turtle import parse_turtle_files
from pedall.shacl import compiler, shape_codec, shapes, values
from pedall.shacl.compiler import ShapeCompiler
from pedall.shacl.shape_codec import ShapeTable
from pedall.shacl.shapes import NodeShape, TripleRule

T = TypeVar("T")
FORMAT = "pedall-compiled-shapes 1"
# The modules whose code decides what the shapes compile to and how that is written.
COMPILER_SOURCES = tuple(Path(m.__file__ or "") for m in (compiler, shapes, values, shape_codec))


@dataclass(eq=False)
class ShapeGroup:
    """The shapes of one shape group, compiled (from the cache where it holds them)."""

    name: str
    files: tuple[Path, ...]
    cache_folder: Path | None = None  # None: no cache
    _changed: bool = field(default=False, init=False)

    @cached_property
    def graph(self) -> Graph:
        """The group's shapes files as one graph (parsed on first use)."""
        return parse_turtle_files(list(self.files))

    def node_shape(self, node: URIRef) -> NodeShape:
        """The named node shape ``node``, compiled."""
        return self._remembered(
            self._table.node_shapes, str(node), lambda: self._compiler.node_shape(node)
        )

    def triple_rules(self, target_class: str) -> list[TripleRule]:
        """The triple rules of the node shapes targeting ``target_class``, in order."""
        rules = self._remembered(
            self._table.triple_rules,
            target_class,
            lambda: tuple(self._compiler.triple_rules(target_class)),
        )
        return list(rules)

    def node_shapes_targeting(self, target_class: str) -> list[NodeShape]:
        """The node shapes targeting ``target_class``, compiled, by IRI."""
        shapes = self._remembered(
            self._table.targeting,
            target_class,
            lambda: tuple(self._compiler.node_shapes_targeting(target_class)),
        )
        return list(shapes)

    def _remembered(self, table: dict[str, T], key: str, compile_it: Callable[[], T]) -> T:
        """``table[key]``, compiled (and the cache marked for rewriting) if absent."""
        found = table.get(key)
        if found is None:
            found = table[key] = compile_it()
            self._changed = True
        return found

    def save(self) -> None:
        """Write the cache again if something was compiled that it did not hold."""
        if not self._changed or self.cache_path is None or self._key is None:
            return
        body = shape_codec.dumps(self._table)
        header = f"# {FORMAT}\n# key {self._key}\n# body {_digest(body)}\n"
        with contextlib.suppress(OSError):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically((header + body).encode("utf-8"), self.cache_path, private=False)
            self._changed = False

    @cached_property
    def cache_path(self) -> Path | None:
        """The group's cache file (None without a cache)."""
        if self.cache_folder is None or self._key is None:
            return None
        return self.cache_folder / f"compiled-shapes-{self.name}-{self._key[:32]}.json"

    @cached_property
    def _key(self) -> str | None:
        try:
            return cache_key(f"{FORMAT}\0{self.name}", [*self.files, *COMPILER_SOURCES])
        except OSError:  # an unreadable shapes file is reported by the Turtle parser
            return None

    @cached_property
    def _table(self) -> ShapeTable:
        """What the cache holds for the group (read once), else an empty table."""
        if self.cache_path is None:
            return ShapeTable()
        try:
            text = self.cache_path.read_text(encoding="utf-8")
            return _unsealed(text, self._key or "") or ShapeTable()
        except Exception:  # damaged in any way (I/O, encoding, JSON, shape): compile again
            return ShapeTable()

    @cached_property
    def _compiler(self) -> ShapeCompiler:
        return ShapeCompiler(self.graph)


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _unsealed(text: str, key: str) -> ShapeTable | None:
    """The table of a cache file's text, if its header names ``key`` and the body's hash."""
    lines = text.split("\n", 3)
    if len(lines) < 4 or lines[0] != f"# {FORMAT}" or lines[1] != f"# key {key}":
        return None
    if lines[2] != f"# body {_digest(lines[3])}":
        return None
    return shape_codec.loads(lines[3])
