"""Load the knowledge graph (ontology/) and the shapes (shapes/), and infer over them once.

``KnowledgeBase`` is the one object the CLI, the classifier and the HTTP service share.
Inference over the knowledge graph is computed once per instance (owlrl, OWL 2 RL) and
kept, and stored in the closure cache (``pedall.knowledge.cache``) that later processes
read instead; patient data is never added to it.

>>> kb = KnowledgeBase.load()
>>> len(kb.graph) > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from pedall.knowledge.cache import CachedKnowledge, ClosureCache, ntriples
from pedall.knowledge.data_files import DataFiles
from pedall.knowledge.shape_cache import ShapeGroup
from pedall.knowledge.turtle import parse_turtle_files


def owl_rl_closure(graph: Graph) -> Graph:
    """A new graph: ``graph`` plus everything OWL 2 RL entails from it (owlrl)."""
    closure = Graph()
    for prefix, namespace in graph.namespaces():
        closure.bind(prefix, namespace, override=True)
    closure += graph
    import owlrl  # slow to import; only inference needs it

    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False).expand(closure)
    return closure


def without_generalized_triples(graph: Graph) -> Graph:
    """``graph`` less the generalized triples of an OWL RL closure (a literal subject or a
    non-IRI predicate), which RDF 1.1 and N-Triples cannot hold and no consumer reads."""
    for triple in list(graph):
        subject, predicate, _ = triple
        if isinstance(subject, Literal) or not isinstance(predicate, URIRef):
            graph.remove(triple)
    return graph


@dataclass(eq=False)
class KnowledgeBase:
    """The ontology and the shapes under one data root, with the inferred closure on demand.

    With a ``cache`` (the default unless ``$PEDALL_NO_CACHE``), the asserted graph and the
    closure are read from it when it holds them for these ontology files; ``None`` infers.
    """

    files: DataFiles = field(default_factory=DataFiles.default)
    cache: ClosureCache | None = field(default_factory=ClosureCache.default)
    _shape_groups: dict[str, ShapeGroup] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def load(cls, root: Path | None = None) -> KnowledgeBase:
        return cls(DataFiles(root) if root is not None else DataFiles.default())

    @cached_property
    def graph(self) -> Graph:
        """The asserted triples of the ontology folder."""
        if self._cached is not None:
            self.__dict__["inferred"] = self._cached.closure
            return self._cached.asserted
        return parse_turtle_files(self.files.ontology_files())

    @cached_property
    def shapes(self) -> Graph:
        """All shapes of the shapes folder."""
        return parse_turtle_files(self.files.shape_files())

    def shape_group(self, name: str) -> ShapeGroup:
        """The compiled shapes of one shape group (``pedall.knowledge.shape_cache``), kept in
        the closure cache's folder (none without a cache)."""
        group = self._shape_groups.get(name)
        if group is None:
            folder = self.cache.folder if self.cache is not None else None
            group = ShapeGroup(name, tuple(self.files.shape_group(name)), folder)
            self._shape_groups[name] = group
        return group

    @cached_property
    def inferred(self) -> Graph:
        """The ontology with its OWL 2 RL closure, without generalized triples (computed
        once, or read from the cache)."""
        if "graph" not in self.__dict__ and self._cached is not None:
            self.__dict__["graph"] = self._cached.asserted
            return self._cached.closure
        closure = without_generalized_triples(owl_rl_closure(self.graph))
        if self.cache is not None and self._cache_key is not None:
            self.cache.write(self._cache_key, self.graph, closure)
        return closure

    def inferred_ntriples(self) -> bytes:
        """``inferred`` as N-Triples, for a query store: read from the cache when it holds
        them (no rdflib graph built, which is most of the cost), else serialized."""
        if "inferred" not in self.__dict__ and self.cache is not None and self._cache_key:
            cached = self.cache.read_ntriples(self._cache_key)
            if cached is not None:
                return cached
        return ntriples(self.inferred)

    @cached_property
    def _cache_key(self) -> str | None:
        if self.cache is None:
            return None
        try:
            return self.cache.key(self.files)
        except OSError:  # an unreadable ontology file is reported by the Turtle parser
            return None

    @cached_property
    def _cached(self) -> CachedKnowledge | None:
        """What the cache holds for these ontology files (read once), if anything."""
        if self.cache is None or self._cache_key is None:
            return None
        return self.cache.read(self._cache_key)
