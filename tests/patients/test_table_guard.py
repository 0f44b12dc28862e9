"""The cell-length limit of the CSV reader, at its boundary: a cell is refused when it is
longer than the limit, wherever it is, however many lines its record spans."""

from __future__ import annotations

import io

from pedall.patients.input_limits import InputLimits
from pedall.patients.readers.table_guard import GuardedTable, OverLimitCell, OverLimitRow

LIMIT = 10


def rows(text: str) -> list[list[str]]:
    table = GuardedTable(io.StringIO(text, newline=""), InputLimits(max_cell_chars=LIMIT), "t")
    return list(table)


def test_a_cell_at_the_limit_is_read_and_one_over_it_is_not() -> None:
    at, over = rows("a,0123456789\nb,0123456789X\n")
    assert at == ["a", "0123456789"] and not isinstance(at, OverLimitRow)
    assert isinstance(over, OverLimitRow) and isinstance(over[1], OverLimitCell)
    assert (over[0], over[1].length) == ("b", 11)


def test_a_quoted_cell_over_several_short_lines_is_measured_whole() -> None:
    # Every line is within the limit, the cell they make is not.
    (row,) = rows('a,"0123\n4567\n89X"\n')
    assert isinstance(row, OverLimitRow) and isinstance(row[1], OverLimitCell)
    assert row[1].length == len("0123\n4567\n89X")
    (kept,) = rows('a,"01\n23"\n')
    assert kept == ["a", "01\n23"] and not isinstance(kept, OverLimitRow)


def test_a_line_longer_than_the_limit_made_of_short_cells_is_read() -> None:
    (row,) = rows("0123456789,0123456789,0123456789\n")
    assert row == ["0123456789"] * 3 and not isinstance(row, OverLimitRow)
