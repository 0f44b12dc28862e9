"""The charts of the cohort report, drawn by matplotlib as SVG to be inlined in the page.

Why matplotlib: it is the well-kept standard, draws SVG with no browser or JavaScript at
all (a vega-lite chart needs its runtime in the page), and writes text as glyph outlines
(``svg.fonttype`` ``path``, its default), so a chart looks the same everywhere and never
asks for a font. pyplot is not used: each chart is a ``Figure`` drawn by the SVG canvas,
as matplotlib advises for servers (no backend to select, no global figure registry); a
lock serialises drawing, since matplotlib does not promise thread safety (the service draws
from its thread pool). Every text given is drawn as written (``parse_math`` off, so a ``$``
in a column name is not mathtext).

Each SVG is made fit to inline: the XML prolog and DOCTYPE (which names a DTD by URL) and
the comments are dropped, ids are prefixed with the chart's id (several charts share a
page), the width is 100 % with the ``viewBox`` kept (it scales to a phone), and it carries
``role="img"`` with a ``<title>`` and a ``<desc>`` as its text alternative.

matplotlib is imported on first use (``pip install 'pedall[report]'``).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from pedall.errors import InputFormatError

# Okabe and Ito's colour-blind-safe palette.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
WIDTH_INCHES = 5.0  # about a phone's width at 10 pt text
BAR_INCHES = 0.42  # height of one category row
_DRAWING = threading.Lock()
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_ID = re.compile(r'\bid="([^"]+)"')


@dataclass(frozen=True)
class Series:
    """One set of bars: its name (in the legend) and one value a category."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart with its text alternative."""

    id: str
    title: str
    description: str
    svg: str


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # an optional extra
        raise InputFormatError(
            "the cohort report draws its charts with matplotlib: pip install 'pedall[report]'"
        ) from error
    return Figure


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    axis_label: str,
    *,
    stacked: bool = False,
) -> Chart:
    """Horizontal bars, one row a category (the first on top), a bar (or a stacked part)
    a series, each labelled with its value."""
    figure_class = _figure_class()
    with _DRAWING:
        height = 1.1 + BAR_INCHES * max(1, len(categories)) * (1 if stacked else len(series))
        height += 0.3 if len(series) > 1 else 0  # the legend
        figure = figure_class(figsize=(WIDTH_INCHES, height), layout="constrained")
        axes = figure.add_subplot()
        rows = range(len(categories))
        thickness = 0.8 if stacked else 0.8 / len(series)
        left = [0.0] * len(categories)
        for index, one in enumerate(series):
            offset = 0.0 if stacked else (index - (len(series) - 1) / 2) * thickness
            positions = [row + offset for row in rows]
            bars = axes.barh(
                positions,
                one.values,
                height=thickness,
                left=left if stacked else None,
                label=one.name,
                color=COLOURS[index % len(COLOURS)],
            )
            labels = axes.bar_label(
                bars, labels=[_number(v) if v else "" for v in one.values], padding=3
            )
            _plain(labels)
            if stacked:
                left = [start + value for start, value in zip(left, one.values, strict=True)]
        axes.set_yticks(list(rows), list(categories))
        axes.invert_yaxis()
        _plain(axes.get_yticklabels())
        _plain([axes.set_xlabel(axis_label)])
        axes.margins(x=0.15)
        axes.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            legend = figure.legend(loc="outside upper left", ncols=len(series), frameon=False)
            _plain(legend.get_texts())
        return Chart(chart_id, title, description, _inline(figure, chart_id, title, description))


def sizes_beside_outcome(
    chart_id: str,
    title: str,
    description: str,
    groups: Sequence[str],
    sizes: Sequence[int],
    outcome: Sequence[float | None],
    spread: Sequence[float | None],
    outcome_label: str,
) -> Chart:
    """Two panels sharing the groups: the patients in each (left) and an outcome
    percentage with its plus-or-minus (right; no bar where the graph has no figure)."""
    figure_class = _figure_class()
    with _DRAWING:
        height = 1.3 + BAR_INCHES * max(1, len(groups))
        figure = figure_class(figsize=(WIDTH_INCHES, height), layout="constrained")
        sizes_axes, outcome_axes = figure.subplots(1, 2, sharey=True)
        rows = list(range(len(groups)))
        bars = sizes_axes.barh(rows, sizes, color=COLOURS[0], height=0.6)
        _plain(sizes_axes.bar_label(bars, labels=[str(s) for s in sizes], padding=3))
        known = [row for row in rows if outcome[row] is not None]
        values = [float(outcome[row] or 0) for row in known]
        errors = [float(spread[row] or 0) for row in known]
        bars = outcome_axes.barh(
            known, values, xerr=errors, color=COLOURS[2], height=0.6, capsize=3
        )
        texts = [
            f"{_number(v)} ± {_number(e)}" if e else _number(v)
            for v, e in zip(values, errors, strict=True)
        ]
        _plain(outcome_axes.bar_label(bars, labels=texts, padding=14))
        sizes_axes.set_yticks(rows, list(groups))
        sizes_axes.invert_yaxis()
        _plain(sizes_axes.get_yticklabels())
        _plain([sizes_axes.set_xlabel("patients in this cohort")])
        _plain([outcome_axes.set_xlabel(outcome_label)])
        outcome_axes.set_xlim(0, 130)
        sizes_axes.margins(x=0.25)
        for axes in (sizes_axes, outcome_axes):
            axes.spines[["top", "right"]].set_visible(False)
        return Chart(chart_id, title, description, _inline(figure, chart_id, title, description))


def _plain(texts: Any) -> None:
    """Draw these texts as written, never as mathtext."""
    for text in texts:
        text.set_parse_math(False)


def _number(value: float) -> str:
    return f"{value:g}"


def _inline(figure: Any, chart_id: str, title: str, description: str) -> str:
    """The figure as an SVG element ready to inline (see the module's docstring)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(
        r"(href=\"#|url\(#)([^\")]+)",
        lambda m: m.group(1) + (f"{chart_id}-{m.group(2)}" if m.group(2) in ids else m.group(2)),
        svg,
    )
    svg = re.sub(r'\swidth="[^"]*pt"\s+height="[^"]*pt"', ' width="100%"', svg, count=1)
    head = (
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'id="{chart_id}" preserveAspectRatio="xMinYMin meet"'
    )
    alternative = (
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    svg = head + svg[len("<svg") :]
    opened = svg.index(">") + 1
    return svg[:opened] + alternative + svg[opened:]
