"""The one place pedall calls pyshacl, the reference SHACL engine (imported on first use:
pyshacl and owlrl are heavy, and only the reference paths need them)."""

from __future__ import annotations

from rdflib import Graph


def run_pyshacl(data: Graph, shapes: Graph, ontology: Graph, *, rules: bool) -> Graph:
    """Validate ``data`` in place with pyshacl and OWL RL inference over ``ontology``:
    with ``rules`` the SHACL-AF rules of ``shapes`` add their triples to ``data``. Warnings
    do not make the data non-conforming. Returns the SHACL validation report graph."""
    from pyshacl import validate

    _, report, _ = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="owlrl",
        advanced=rules,
        inplace=True,
        allow_warnings=True,
    )
    assert isinstance(report, Graph)
    return report
