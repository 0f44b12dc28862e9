"""The whole knowledge graph as downloads: each format, with or without inferred triples,
serialized once on first request and then kept (it never changes while serving)."""

from __future__ import annotations

import threading

from rdflib import Graph

from pedall.knowledge.base import KnowledgeBase
from pedall.query.export import EXPORT_FORMATS, export_graph, serialize_graph

EXPORT_NAMES_BY_MEDIA_TYPE = {fmt.media_type: name for name, fmt in EXPORT_FORMATS.items()}


def serialize_for(graph: Graph, media_type: str) -> bytes:
    """``graph`` in the RDF format of ``media_type`` (one of the export formats)."""
    return serialize_graph(graph, EXPORT_NAMES_BY_MEDIA_TYPE[media_type])


class GraphDownloads:
    """The serialized graph by (export format name, inferred), built lazily, thread-safe."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge
        self._serialized: dict[tuple[str, bool], bytes] = {}
        self._lock = threading.Lock()

    def get(self, format_name: str, *, inferred: bool) -> bytes:
        """The graph in ``format_name`` (a key of ``pedall.query.export.EXPORT_FORMATS``)."""
        key = (format_name, inferred)
        with self._lock:
            if key not in self._serialized:
                graph = export_graph(self.knowledge, inferred=inferred)
                self._serialized[key] = serialize_graph(graph, format_name)
            return self._serialized[key]
