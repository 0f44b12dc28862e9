"""SHACL validation report graphs: several reports merged into one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rdflib import RDF, BNode, Graph, Literal
from rdflib.namespace import SH


def merge_reports(reports: Iterable[Graph], prefixes: Mapping[str, str] | None = None) -> Graph:
    """One ``sh:ValidationReport`` with every result of ``reports``; it conforms when each
    of them does. It binds ``prefixes`` when given, else those each report binds.

    >>> merge_reports([]).value(predicate=SH.conforms)
    rdflib.term.Literal('true', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#boolean'))
    """
    merged = Graph()
    for prefix, namespace in (prefixes or {}).items():
        merged.bind(prefix, namespace)
    node = BNode()
    merged.add((node, RDF.type, SH.ValidationReport))
    conforms = True
    for report in reports:
        for prefix, namespace in () if prefixes is not None else report.namespaces():
            merged.bind(prefix, namespace, override=False)
        own = set(report.subjects(RDF.type, SH.ValidationReport))
        for each in own:
            conforms = conforms and report.value(each, SH.conforms) == Literal(True)
        for s, p, o in report:
            if s not in own:
                merged.add((s, p, o))
            elif p == SH.result:
                merged.add((node, p, o))
    merged.add((node, SH.conforms, Literal(conforms)))
    return merged
