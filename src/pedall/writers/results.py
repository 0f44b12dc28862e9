"""Render classification results for people and machines: a rich table with the
explanation, a CSV table (one row a patient), or RDF (the patients with their
classification, in Turtle).

Rendering only: what a result says is decided by the engines (``pedall.classify.result``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

from rdflib import RDF, Graph, Literal, URIRef
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pedall import RESEARCH_NOTICE
from pedall.classify.result import Classification, csv_columns
from pedall.classify.schemes import Schemes
from pedall.errors import PatientIssue, not_shown
from pedall.namespaces import PATIENT, PEDALL, PREFIXES
from pedall.patients.graph import PatientGraphWriter, patient_node
from pedall.patients.model import PatientModel
from pedall.patients.printable import printable
from pedall.patients.readers.csv_table import PatientRecord

LIST_SEPARATOR = ";"
DOI_PREFIX = "https://doi.org/"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet will not run it: a leading ``'`` when it starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a CR (OWASP's advice against CSV injection).

    A number (``-0.5``) and a lone ``-`` or ``+`` stay as they are: neither can be a
    formula, and a number keeps its value.

    >>> [spreadsheet_safe(cell) for cell in ("=1+1", "@SUM(A1)", "-1.5", "-", "B")]
    ["'=1+1", "'@SUM(A1)", '-1.5', '-', 'B']
    """
    if not cell.startswith(FORMULA_TRIGGERS) or cell in ("-", "+") or _NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


def csv_header(schemes: Schemes, extras: Sequence[str]) -> list[str]:
    """The header row of the CSV table: the contract's columns
    (``pedall.classify.result.csv_columns``), then ``extras``."""
    return [*csv_columns(schemes), *(spreadsheet_safe(column) for column in extras)]


def short_source(source: str) -> str:
    """A citation IRI as a person reads it (``doi:10...`` for a DOI)."""
    return "doi:" + source.removeprefix(DOI_PREFIX) if source.startswith(DOI_PREFIX) else source


def extra_columns(results: Iterable[Classification]) -> list[str]:
    """The pass-through columns of all results, in first-seen order."""
    columns: dict[str, None] = {}
    for result in results:
        for column in result.extra:
            if column not in result.outcome.json_keys():
                columns.setdefault(column)
    return list(columns)


def csv_line(cells: Sequence[str]) -> str:
    """One CSV row ending in LF, a cell quoted when it holds a comma, a quote, CR or LF
    (``csv.writer`` with an LF line end would leave a bare CR unquoted)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + "\n"


def results_csv(results: Sequence[Classification], schemes: Schemes) -> str:
    """One row a patient: the contract's columns (lists ``;``-joined, criteria by id),
    then the extra input columns; every cell ``spreadsheet_safe``."""
    extras = extra_columns(results)
    lines = [csv_line(csv_header(schemes, extras))]
    lines.extend(csv_line(result_row(result, extras)) for result in results)
    return "".join(lines)


def result_row(result: Classification, extras: Sequence[str]) -> list[str]:
    """One patient's row of ``results_csv`` (also written row by row for large cohorts),
    each cell ``spreadsheet_safe``."""
    outcome = result.outcome
    cells = [
        result.patient_id,
        outcome.risk_group,
        LIST_SEPARATOR.join(outcome.possible_groups),
        "true" if outcome.provisional else "false",
        LIST_SEPARATOR.join(outcome.missing),
        LIST_SEPARATOR.join(c.id for c in outcome.criteria),
        *(code or "" for _, code in outcome.others),
        " | ".join(d.as_text() for d in outcome.deciding),
        *(result.extra.get(column, "") for column in extras),
    ]
    return [spreadsheet_safe(cell) for cell in cells]


def _patient_node(result: Classification, record: PatientRecord | None) -> URIRef:
    if record is not None:
        return patient_node(record)
    return PATIENT[quote(result.patient_id, safe="")]


def results_graph(
    results: Sequence[Classification],
    schemes: Schemes,
    model: PatientModel,
    records: Mapping[tuple[str, str], PatientRecord] | None = None,
) -> Graph:
    """The patients as RDF: their data as read (when ``records``, keyed by source and
    patient id, are given; written as the reference engine writes them) and their
    classification: ``pedall:meetsCriterion`` for each criterion reported,
    ``pedall:assignedRiskGroup`` (of the primary scheme and of every other scheme that is
    decided), ``pedall:possibleRiskGroup``, ``pedall:provisionalClassification`` and
    ``pedall:missingField``."""
    graph = Graph()
    for prefix in ("pedall", "patient", "xsd"):
        graph.bind(prefix, PREFIXES[prefix], override=True)
    risk = schemes.primary
    writer = PatientGraphWriter(model)
    for result in results:
        record = (records or {}).get((result.source, result.patient_id))
        node = _patient_node(result, record)
        outcome = result.outcome
        if record is not None:
            writer.add_record(graph, record)
        graph.add((node, RDF.type, PEDALL.Patient))
        graph.add((node, PEDALL.patientId, Literal(result.patient_id)))
        for criterion in outcome.criteria:
            graph.add((node, PEDALL.meetsCriterion, URIRef(criterion.iri)))
        graph.add((node, PEDALL.assignedRiskGroup, URIRef(risk.group(outcome.risk_group).iri)))
        for key, code in outcome.others:
            if code is not None:
                group = schemes.by_key(key).group(code)
                graph.add((node, PEDALL.assignedRiskGroup, URIRef(group.iri)))
        for code in outcome.possible_groups:
            graph.add((node, PEDALL.possibleRiskGroup, URIRef(risk.group(code).iri)))
        graph.add((node, PEDALL.provisionalClassification, Literal(outcome.provisional)))
        for column in outcome.missing:
            graph.add((node, PEDALL.missingField, Literal(column)))
    return graph


def results_turtle(
    results: Sequence[Classification],
    schemes: Schemes,
    model: PatientModel,
    records: Mapping[tuple[str, str], PatientRecord] | None = None,
) -> str:
    """``results_graph`` in Turtle, headed by the research-use notice as a comment."""
    body = results_graph(results, schemes, model, records).serialize(format="longturtle")
    return f"# {RESEARCH_NOTICE}\n{body}"


def render_results(
    console: Console,
    results: Sequence[Classification],
    issues: Sequence[PatientIssue],
    schemes: Schemes,
) -> None:
    """The classification table with its explanation (criteria and their sources, what is
    missing), then the located errors and warnings, then the research-use notice."""
    if results:
        names = ", ".join(s.report_label for s in schemes.reported)
        table = Table(title=f"Risk classification ({names})", show_lines=True)
        for header in (
            "patient",
            "risk group",
            *(s.report_label for s in schemes.secondary),
            "why: criteria met (group; section of the source)",
            "missing: what would decide it",
        ):
            table.add_column(header, overflow="fold")
        for result in results:
            table.add_row(
                Text(printable(result.patient_id)),
                _group_cell(result),
                *(Text(code or "undetermined") for _, code in result.outcome.others),
                Text(_criteria_cell(result)),
                Text(_missing_cell(result)),
            )
        console.print(table)
    else:
        console.print(Text("No patient could be classified."))
    render_issues(console, issues)
    console.print(Text(RESEARCH_NOTICE, style="italic"))


def _missing_cell(result: Classification) -> str:
    """The missing columns, and what each answer would leave (the one that narrows most
    first), as ``Deciding.as_text`` writes each."""
    outcome = result.outcome
    if outcome.deciding:
        return "\n".join(d.as_text() for d in outcome.deciding)
    return "\n".join(outcome.missing) or "-"


def _group_cell(result: Classification) -> Text:
    outcome = result.outcome
    text = Text(outcome.risk_group, style="bold")
    if outcome.provisional:
        text.append("\nprovisional,\npossible: " + ", ".join(outcome.possible_groups))
    return text


def _criteria_cell(result: Classification) -> str:
    """Each criterion met with its group and the section of its source, then the sources
    (cited once for the cell)."""
    if not result.outcome.criteria:
        # Every completion reaches at least the risk group, but by different criteria.
        return (
            "none certain yet: depends on the missing data" if result.outcome.provisional else "-"
        )
    lines = []
    sources: dict[str, None] = {}
    for criterion in result.outcome.criteria:
        section = f"; {criterion.section}" if criterion.section else ""
        lines.append(f"- {criterion.label} [{criterion.group}{section}]")
        sources.update(dict.fromkeys(criterion.sources))
    lines.append("source: " + ", ".join(short_source(s) for s in sources))
    return "\n".join(lines)


def render_issues(console: Console, issues: Sequence[PatientIssue]) -> None:
    """The located errors and warnings: file, line or node, patient, field, value, problem
    (and how many were not shown, when the list was capped)."""
    hidden = not_shown(issues)
    for severity, title in (("error", "Errors"), ("warning", "Warnings")):
        chosen = [i for i in issues if i.is_error == (severity == "error")]
        more = hidden.get(f"{severity}s_not_shown", 0)
        if not chosen:
            continue
        table = Table(title=f"{title} ({len(chosen) + more:,})", title_style="bold")
        for column in ("file", "where", "patient", "field", "value", "problem"):
            table.add_column(column, overflow="fold")
        for issue in chosen:
            # Text, not markup: patient data must be shown as given, brackets included;
            # control characters (ANSI escapes, line breaks) as visible escapes.
            table.add_row(
                *(
                    Text(printable(cell))
                    for cell in (
                        issue.source or "",
                        where(issue),
                        issue.patient_id or "",
                        issue.column or "",
                        issue.value if issue.value is not None else "",
                        issue.message,
                    )
                )
            )
        if more:
            table.caption = f"... and {more:,} more, not shown (option --max-issues)"
        console.print(table)


def where(issue: PatientIssue) -> str:
    """Where an issue is: ``line N`` in a table, the node in a graph."""
    if issue.line is not None:
        return f"line {issue.line}"
    return issue.node or ""
