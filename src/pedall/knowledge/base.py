"""Load the knowledge graph (ontology/) and the shapes (shapes/), and infer over them once.

``KnowledgeBase`` is the one object the CLI, the classifier and the HTTP service share.
Inference over the knowledge graph is computed once per instance (owlrl, OWL 2 RL) and
kept; patient data is never added to it.

>>> kb = KnowledgeBase.load()
>>> len(kb.graph) > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import owlrl
from rdflib import Graph

from pedall.errors import DataFileError
from pedall.knowledge.data_files import DataFiles
from pedall.namespaces import PREFIXES


def parse_turtle_files(paths: list[Path]) -> Graph:
    """One graph from several Turtle files; a malformed file is a DataFileError naming it."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    for path in paths:
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several unrelated types for bad Turtle
            raise DataFileError(f"{path}: not valid Turtle: {error}") from error
    return graph


def owl_rl_closure(graph: Graph) -> Graph:
    """A new graph: ``graph`` plus everything OWL 2 RL entails from it (owlrl)."""
    closure = Graph()
    for prefix, namespace in graph.namespaces():
        closure.bind(prefix, namespace, override=True)
    closure += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False).expand(closure)
    return closure


@dataclass(eq=False)
class KnowledgeBase:
    """The ontology and the shapes under one data root, with the inferred closure on demand."""

    files: DataFiles = field(default_factory=DataFiles.default)

    @classmethod
    def load(cls, root: Path | None = None) -> KnowledgeBase:
        return cls(DataFiles(root) if root is not None else DataFiles.default())

    @cached_property
    def graph(self) -> Graph:
        """The asserted triples of the ontology folder."""
        return parse_turtle_files(self.files.ontology_files())

    @cached_property
    def shapes(self) -> Graph:
        """All shapes of the shapes folder."""
        return parse_turtle_files(self.files.shape_files())

    @cached_property
    def inferred(self) -> Graph:
        """The ontology with its OWL 2 RL closure (computed once)."""
        return owl_rl_closure(self.graph)
