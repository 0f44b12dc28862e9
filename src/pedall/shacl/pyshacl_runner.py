"""The one place pedall calls pyshacl, the reference SHACL engine (imported on first use:
pyshacl and owlrl are heavy, and only the reference paths need them).

pyshacl is called so that it cannot fetch anything: every graph is handed over as an
rdflib graph (never a path or URL to load), ``owl:imports`` are not followed, SHACL-JS
(which loads ``sh:jsLibraryURL``) is off and the data graph is never a remote SPARQL
endpoint. SPARQL ``SERVICE`` and ``FROM``, which rdflib would follow, are the shapes'
checker's to refuse before this runs (``pedall.validate.shapes_safety``).
"""

from __future__ import annotations

from rdflib import Graph

from pedall.errors import DataFileError, ShapesError


def run_pyshacl(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None,
    *,
    rules: bool,
    user_shapes: bool = False,
    meta_shacl: bool = False,
) -> Graph:
    """Validate ``data`` in place with pyshacl and OWL RL inference over ``ontology``
    mixed in (``None``: ``data`` already holds its inferences, and none is run): with
    ``rules`` the SHACL-AF features of ``shapes`` (rules, SPARQL targets, functions) are
    on, and rules add their triples to ``data``. Warnings do not make the data
    non-conforming; with ``meta_shacl`` the shapes are first checked against SHACL's own
    shapes. Returns the SHACL validation report graph.

    Shapes pyshacl cannot load are a ``ShapesError`` when the user gave them
    (``user_shapes``), else a ``DataFileError`` (pedall's own shapes are malformed)."""
    from pyshacl import validate
    from pyshacl.errors import (
        ConstraintLoadError,
        ReportableRuntimeError,
        RuleLoadError,
        ShapeLoadError,
    )

    try:
        _, report, _ = validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="owlrl" if ontology is not None else "none",
            advanced=rules,
            inplace=True,
            allow_warnings=True,
            do_owl_imports=False,
            js=False,
            sparql_mode=False,
            meta_shacl=meta_shacl,
        )
    except (ConstraintLoadError, ShapeLoadError, RuleLoadError, ReportableRuntimeError) as error:
        report = error
    if not isinstance(report, Graph):  # pyshacl returns a validation failure as the report
        kind = ShapesError if user_shapes else DataFileError
        raise kind(f"pyshacl cannot use the shapes: {report}")
    return report
