"""Read the Turtle data files into one rdflib graph, with pedall's prefixes bound."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from pedall.errors import DataFileError
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
