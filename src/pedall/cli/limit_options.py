"""The options that set the limits on patient input (``InputLimits``), defined once for
every command that reads patient data: the command receives them as one ``limits``.

Light on purpose (``pedall --help`` imports it): ``pedall.patients.input_limits`` needs
only the standard library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits

Command = TypeVar("Command", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--max-cell-chars",
        default=DEFAULT_LIMITS.max_cell_chars,
        show_default=True,
        type=click.IntRange(1, 131_071),
        help="Characters a CSV cell may hold; a longer cell is a located error, its row unread.",
    ),
    click.option(
        "--max-columns",
        default=DEFAULT_LIMITS.max_columns,
        show_default=True,
        type=click.IntRange(min=1),
        help="Columns a patient table may have; a wider table is refused.",
    ),
    click.option(
        "--max-depth",
        default=DEFAULT_LIMITS.max_depth,
        show_default=True,
        type=click.IntRange(min=1),
        help="Nesting of JSON / JSON-LD / phenopacket arrays and objects and of RDF/XML "
        "elements; deeper input is refused.",
    ),
    click.option(
        "--max-issues",
        default=DEFAULT_LIMITS.max_issues,
        show_default=True,
        type=click.IntRange(min=1),
        help="Errors (and warnings) listed; the rest are counted (errors_not_shown).",
    ),
)


def input_limit_options(command: Command) -> Command:
    """Add the limit options to ``command``, which gets them as ``limits: InputLimits``."""

    @functools.wraps(command)
    def with_limits(
        *args: object,
        max_cell_chars: int,
        max_columns: int,
        max_depth: int,
        max_issues: int,
        **kwargs: object,
    ) -> object:
        limits = InputLimits(max_cell_chars, max_columns, max_depth, max_issues)
        return command(*args, limits=limits, **kwargs)

    wrapped: Command = with_limits  # type: ignore[assignment]
    for option in reversed(_OPTIONS):
        wrapped = option(wrapped)
    return wrapped
