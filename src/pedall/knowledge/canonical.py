"""Keep the Turtle data files in one canonical form (rdflib ``longturtle``).

A canonical form makes diffs of the knowledge readable and reviews honest: the same
graph always serializes to the same text. ``pedall canonicalize`` rewrites the files;
the tests fail, naming that command, when a file drifts from it. A file's ontology header
(its ``owl:Ontology``) comes first, as OWL tools write it; the other subjects follow in
``longturtle``'s order.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDFS
from rdflib.plugins.serializers.longturtle import LongTurtleSerializer

from pedall.knowledge.data_files import DataFiles


def canonical_turtle(path: Path) -> str:
    """The canonical text of the Turtle file at ``path``."""
    parsed = Graph()
    parsed.parse(path, format="turtle")
    # Blank nodes get canonical labels first: longturtle alone orders them by their random
    # labels, so the same graph could serialize differently from run to run.
    canonical = Graph()
    for prefix, namespace in parsed.namespaces():
        canonical.bind(prefix, namespace, override=True)
    for triple in to_canonical_graph(parsed):
        canonical.add(triple)
    serializer = LongTurtleSerializer(canonical)  # type: ignore[no-untyped-call]
    # rdflib's own first class (rdfs:Class) stays second; set on this instance only.
    serializer.topClasses = [OWL.Ontology, RDFS.Class]
    text = BytesIO()
    serializer.serialize(text, encoding="utf-8")
    return text.getvalue().decode("utf-8")


def turtle_files(files: DataFiles) -> list[Path]:
    """Every Turtle data file (ontology and shapes)."""
    return files.ontology_files() + files.shape_files()


def canonicalize(files: DataFiles) -> list[Path]:
    """Rewrite every Turtle data file in canonical form; return the files that changed."""
    changed = []
    for path in turtle_files(files):
        text = canonical_turtle(path)
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
