"""Check the data files as a curator would before a release (``pedall check``).

Five checks, each giving located failures: every Turtle file is in canonical form; every
shape group resolves (the shapes files its headers import exist); the knowledge graph
conforms to ``shapes/knowledge-graph.ttl``; every quality-check query
``queries/qc/*-violation.rq`` returns no row over the ontology and the shapes together
(some compare a criterion with its rule, or a figure with a shape's bound); and every
query header passes pedall's header parser and reads the same as YAML the way grlc reads
it (``grlc_headers``), so grlc keeps the metadata. Nothing here knows a medical fact: the
rules live in the shapes and the queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.term import Node

from pedall.errors import DataFileError
from pedall.knowledge.canonical import canonical_turtle, turtle_files
from pedall.knowledge.data_files import DataFiles
from pedall.knowledge.turtle import parse_turtle_files
from pedall.query.grlc_headers import grlc_problems
from pedall.query.library import load_query
from pedall.shacl.pyshacl_runner import run_pyshacl

KNOWLEDGE_SHAPES = "knowledge-graph.ttl"
VIOLATION_SUFFIX = "-violation.rq"
SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class CheckFailure:
    """One failed check: which check, where (a file or a term) and what is wrong."""

    check: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.problem}"


def _short(node: Node | None, graph: Graph) -> str:
    if node is None:
        return "-"
    return node.n3(graph.namespace_manager)


def canonical_failures(files: DataFiles) -> list[CheckFailure]:
    """Each Turtle file whose text is not its canonical form."""
    failures = []
    for path in turtle_files(files):
        try:
            same = path.read_text(encoding="utf-8") == canonical_turtle(path)
        except Exception as error:  # rdflib raises several unrelated types for bad Turtle
            failures.append(CheckFailure("canonical", str(path), f"not valid Turtle: {error}"))
            continue
        if not same:
            failures.append(
                CheckFailure(
                    "canonical", str(path), "not in canonical form; run pedall canonicalize"
                )
            )
    return failures


def shape_failures(graph: Graph, shapes_path: Path) -> list[CheckFailure]:
    """Each result of validating ``graph`` against the shapes in ``shapes_path``."""
    shapes = parse_turtle_files([shapes_path])
    # The check shapes hold no rule and no inference is run: the graph is left as it was.
    report = run_pyshacl(graph, shapes, None, rules=True, meta_shacl=True)
    failures = []
    for result in report.subjects(SH.resultSeverity, None):
        focus = _short(report.value(result, SH.focusNode), graph)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = focus if path is None else f"{focus} {_short(path, graph)}"
        failures.append(CheckFailure("shapes", where, str(message or "does not conform")))
    return sorted(failures, key=str)


def qc_failures(graph: Graph, files: DataFiles) -> list[CheckFailure]:
    """Each row of each quality-check query (``queries/qc/*-violation.rq``) over ``graph``,
    which holds the ontology and the shapes (``quality_graph``)."""
    failures = []
    for path in files.qc_query_files():
        if not path.name.endswith(VIOLATION_SUFFIX):
            continue
        name = path.name.removesuffix(".rq")
        for row in graph.query(path.read_text(encoding="utf-8")):
            assert not isinstance(row, bool)
            cells = row.asdict()  # type: ignore[union-attr]
            problem = ", ".join(f"{key}={_short(value, graph)}" for key, value in cells.items())
            failures.append(CheckFailure("qc", name, problem))
    return failures


def quality_graph(ontology: Graph, files: DataFiles) -> Graph:
    """The graph the quality-check queries read: the ontology with every shapes file."""
    return ontology + parse_turtle_files(files.shape_files())


def header_failures(files: DataFiles) -> list[CheckFailure]:
    """Each query file whose ``#+`` header pedall's parser rejects, or that grlc would read
    otherwise (not as YAML, a decorator of the wrong type, other values)."""
    failures = []
    for path in files.query_files() + files.qc_query_files():
        try:
            query = load_query(path)
        except DataFileError as error:
            failures.append(CheckFailure("header", str(path), str(error)))
            continue
        failures += [CheckFailure("header", str(path), problem) for problem in grlc_problems(query)]
    return failures


def group_failures(files: DataFiles) -> list[CheckFailure]:
    """A shape group whose headers import a shapes file that no file declares."""
    try:
        files.shape_groups()
    except DataFileError as error:
        return [CheckFailure("groups", str(files.folder("shapes")), str(error))]
    return []


def run_checks(files: DataFiles) -> list[CheckFailure]:
    """Every failure of the five checks on the data files of ``files``."""
    failures = canonical_failures(files) + header_failures(files) + group_failures(files)
    try:
        graph = parse_turtle_files(files.ontology_files())
        with_shapes = quality_graph(graph, files)
    except DataFileError as error:
        return [*failures, CheckFailure("load", str(files.root), str(error))]
    failures += shape_failures(graph, files.shape_file(KNOWLEDGE_SHAPES))
    failures += qc_failures(with_shapes, files)
    return failures
