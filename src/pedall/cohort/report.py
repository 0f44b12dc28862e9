"""The cohort report: one self-contained HTML page that works offline, with the research-use
notice, the patients per group of each scheme, each CMCP-ALL2008 group's size beside its
10-year event-free survival in Fig. 1 of the review, the provisional patients by the column
that would decide them, the data-quality issues by column and rule, and a table of the
patients with their criteria and sources.

Nothing in it is fetched: no script, the style inline, the charts inline SVG
(``pedall.cohort.report_charts``), and a Content-Security-Policy that forbids loading
anything else. The outcome figures are read from the knowledge graph with the library's
``efs-by-risk-group`` query, never written here. The template is package data
(``templates/report.html``).

>>> from pedall.api import classify_input
>>> kb = KnowledgeBase.load()
>>> content = ReportContent.for_schemes(read_schemes(kb.graph))
>>> table = b"patient_id,age_years\\nP1,16\\n"
>>> content.add_classified("t.csv", classify_input(kb, table, "text/csv", source="t.csv"))
>>> "t.csv, line 2" in cohort_report(kb, content)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pedall import RESEARCH_NOTICE, __version__
from pedall.classify.schemes import Schemes, read_schemes
from pedall.cohort.report_charts import Chart, Series, bar_chart, sizes_beside_outcome
from pedall.cohort.report_data import ReportContent
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import package_folder
from pedall.query.library import find_query
from pedall.query.sparql import build_store, run_query, term_value
from pedall.writers.results import short_source

EFS_QUERY = "efs-by-risk-group"
TEMPLATE = "report.html"
# The page loads nothing: inline styles only (a <meta> cannot set frame-ancestors; the
# service sends that as a header).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class OutcomeFigure:
    """One risk group's 10-year event-free survival as the graph states it."""

    risk_code: str
    group: str
    efs_percent: float
    plus_minus: float | None
    population: str
    source: str
    section: str

    @property
    def source_label(self) -> str:
        return short_source(self.source)


@dataclass(frozen=True)
class GroupRow:
    """A CMCP-ALL2008 group: its patients here, and its figure in the graph (if any)."""

    code: str
    label: str
    patients: int
    share: float
    figure: OutcomeFigure | None


def is_link(source: str) -> bool:
    """Whether a source is linked (http or https; a results file may say anything)."""
    return source.startswith(("https://", "http://"))


def outcome_figures(kb: KnowledgeBase) -> dict[str, OutcomeFigure]:
    """The 10-year EFS of each group of the primary scheme, by risk code, from the graph."""
    scheme_label = read_schemes(kb.graph).primary.label
    result = run_query(build_store(kb.inferred), find_query(EFS_QUERY, kb.files).text)
    figures: dict[str, OutcomeFigure] = {}
    for row in result.bindings():
        if term_value(row.get("scheme")) != scheme_label:
            continue
        plus_minus = row.get("plusMinus")
        figure = OutcomeFigure(
            risk_code=term_value(row["riskCode"]),
            group=term_value(row["group"]),
            efs_percent=float(term_value(row["efsPercent"])),
            plus_minus=None if plus_minus is None else float(term_value(plus_minus)),
            population=term_value(row.get("population")),
            source=term_value(row["source"]),
            section=term_value(row["section"]),
        )
        figures.setdefault(figure.risk_code, figure)
    return figures


def cohort_report(kb: KnowledgeBase, content: ReportContent) -> str:
    """The report of ``content`` as one HTML document."""
    schemes = read_schemes(kb.graph)
    risk = schemes.primary
    summary = content.summary
    figures = outcome_figures(kb)
    total = max(1, summary.classified)
    groups = [
        GroupRow(
            g.code,
            g.label,
            summary.risk_group[g.code],
            summary.risk_group[g.code] / total,
            figures.get(g.code),
        )
        for g in risk.groups
    ]
    context = {
        "notice": RESEARCH_NOTICE,
        "version": __version__,
        "policy": CONTENT_SECURITY_POLICY,
        "inputs": content.inputs,
        "summary": summary,
        "risk_label": risk.label,
        "scheme_labels": [s.label for s in schemes.reported],
        "others": [(s.report_key, s.report_label) for s in schemes.secondary],
        "groups": groups,
        "columns": summary.columns(),
        "issue_counts": content.issue_counts(),
        "issues_by_column": content.issues_by_column(),
        "patients": content.patients,
        "charts": _charts(content, groups, schemes),
        "short_source": short_source,
        "is_link": is_link,
    }
    environment = Environment(
        loader=FileSystemLoader(package_folder("pedall.cohort", "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(TEMPLATE).render(context)


def _charts(
    content: ReportContent, groups: Sequence[GroupRow], schemes: Schemes
) -> dict[str, Chart]:
    """The charts by name: ``risk`` (the primary scheme's groups), one a report key for
    every other scheme's groups, ``efs``, ``deciding`` and ``issues`` when they apply."""
    summary = content.summary
    risk_label = schemes.primary.label
    charts = {
        "risk": _counts_chart("chart-risk", f"Patients per {risk_label} group", summary.risk_group)
    }
    for scheme in schemes.secondary:
        charts[scheme.report_key] = _counts_chart(
            f"chart-{scheme.report_key.replace('_', '-')}",
            f"Patients per {scheme.label} group",
            summary.groups[scheme.report_key],
        )
    with_figures = [g for g in groups if g.figure is not None]
    if with_figures:
        efs = ", ".join(
            f"{g.code} {g.figure.efs_percent:g} %" for g in with_figures if g.figure is not None
        )
        charts["efs"] = sizes_beside_outcome(
            "chart-efs",
            "Group size in this cohort beside the group's 10-year EFS (Fig. 1)",
            f"Patients per group: {_listed((g.code, g.patients) for g in groups)}. "
            f"10-year event-free survival in Fig. 1 of the review: {efs}.",
            [g.code for g in groups],
            [g.patients for g in groups],
            [g.figure.efs_percent if g.figure else None for g in groups],
            [g.figure.plus_minus if g.figure else None for g in groups],
            "10-year EFS (%), Fig. 1",
        )
    columns = summary.columns()
    if columns:
        series = [Series("provisional patients it concerns", tuple(c.provisional for c in columns))]
        if all(c.settles is not None for c in columns):
            series.append(Series("settled by its answer", tuple(c.settles or 0 for c in columns)))
        charts["deciding"] = bar_chart(
            "chart-deciding",
            "Provisional patients by the column that would decide them",
            "Provisional patients per column: "
            + _listed((c.column, c.provisional) for c in columns)
            + "."
            + (
                " Settled by its answer: " + _listed((c.column, c.settles) for c in columns) + "."
                if len(series) > 1
                else ""
            ),
            [c.column for c in columns],
            series,
            "patients",
        )
    by_column = content.issues_by_column()
    if by_column:
        charts["issues"] = bar_chart(
            "chart-issues",
            "Data-quality issues by column",
            "Errors and warnings per column: "
            + "; ".join(f"{c}: {e} error(s), {w} warning(s)" for c, e, w in by_column)
            + ".",
            [c for c, _, _ in by_column],
            [
                Series("errors", tuple(e for _, e, _ in by_column)),
                Series("warnings", tuple(w for _, _, w in by_column)),
            ],
            "issues",
            stacked=True,
        )
    return charts


def _counts_chart(chart_id: str, title: str, counts: dict[str, int]) -> Chart:
    return bar_chart(
        chart_id,
        title,
        f"{title}: {_listed(counts.items())}.",
        list(counts),
        [Series("patients", tuple(counts.values()))],
        "patients",
    )


def _listed(pairs: Iterable[tuple[str, object]]) -> str:
    return ", ".join(f"{name} {count}" for name, count in pairs)
