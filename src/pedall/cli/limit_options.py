"""Options declared once, as rows of a table (``OptionRow``, ``option_table``): the limits
on patient input (``InputLimits``), for every command that reads patient data, which
receives them as one ``limits``; ``pedall serve`` declares its own the same way.

Light on purpose (``pedall --help`` imports it): ``pedall.patients.input_limits`` needs
only the standard library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from pedall.patients.input_limits import DEFAULT_LIMITS, InputLimits

Command = TypeVar("Command", bound=Callable[..., Any])


@dataclass(frozen=True)
class OptionRow:
    """One option whose default ``--help`` shows: its flag, default, type (None: the
    default's) and help."""

    flag: str
    default: object
    kind: click.ParamType[Any, Any] | None = None
    help: str | None = None


def option_table(rows: Sequence[OptionRow]) -> Callable[[Command], Command]:
    """A decorator that adds ``rows`` to a command, listed in ``--help`` in their order."""

    def with_rows(command: Command) -> Command:
        for row in reversed(rows):
            add = click.option(
                row.flag, default=row.default, show_default=True, type=row.kind, help=row.help
            )
            command = add(command)
        return command

    return with_rows


LIMIT_OPTIONS = (
    OptionRow(
        "--max-cell-chars",
        DEFAULT_LIMITS.max_cell_chars,
        click.IntRange(1, 131_071),
        "Characters a CSV cell may hold; a longer cell is a located error, its row unread.",
    ),
    OptionRow(
        "--max-columns",
        DEFAULT_LIMITS.max_columns,
        click.IntRange(min=1),
        "Columns a patient table may have; a wider table is refused.",
    ),
    OptionRow(
        "--max-depth",
        DEFAULT_LIMITS.max_depth,
        click.IntRange(min=1),
        "Nesting of JSON / JSON-LD / phenopacket arrays and objects and of RDF/XML "
        "elements; deeper input is refused.",
    ),
    OptionRow(
        "--max-issues",
        DEFAULT_LIMITS.max_issues,
        click.IntRange(min=1),
        "Errors (and warnings) listed; the rest are counted (errors_not_shown).",
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
    return option_table(LIMIT_OPTIONS)(wrapped)
