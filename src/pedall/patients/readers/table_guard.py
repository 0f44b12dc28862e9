"""The CSV patient table read within its limits, with messages for the files people send.

- A cell longer than ``InputLimits.max_cell_chars`` is not read: it stands as an
  ``OverLimitCell`` (empty, remembering its length and start), and ``over_limit_issues``
  makes it a located error for that cell, so its row is left out and every other row is
  read. A cell longer than the csv module's own limit (131,072 characters) is caught the
  same way: the rest of that cell is skipped and the table goes on at the next row.
- A header with more than ``max_columns`` columns is refused (``InputLimitError``).
- A header that is one cell holding ``;`` or tabs is a file separated by them: refused
  with a message saying so, not "no patient_id column".
- A byte that is not UTF-8 is an error naming its line (``utf8_text.stream_error``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from pedall.errors import InputFormatError, InputLimitError, PatientIssue
from pedall.patients.input_limits import InputLimits
from pedall.patients.model import ID_COLUMN
from pedall.patients.readers.utf8_text import stream_error

PREVIEW_CHARS = 20  # how much of a refused cell an error shows
# Pieces of a CSV record: a quoted run, an unquoted run, or a separating comma.
_PIECE = re.compile(r'"[^"]*"|[^",]+|,')
_SEPARATORS = {";": "';'", "\t": "tabs"}


class OverLimitCell(str):
    """A cell too long to read: it reads as empty, and remembers its length and start."""

    length: int
    preview: str
    limit: int

    def __new__(cls, length: int, preview: str, limit: int) -> OverLimitCell:
        cell = super().__new__(cls, "")
        cell.length, cell.preview, cell.limit = length, preview, limit
        return cell

    def __reduce__(self) -> tuple[type[OverLimitCell], tuple[int, str, int]]:
        return (OverLimitCell, (self.length, self.preview, self.limit))

    @property
    def message(self) -> str:
        return (
            f"a cell of {self.length:,} characters is over the limit of {self.limit:,} "
            "(setting max_cell_chars, option --max-cell-chars); the row is not read"
        )


class OverLimitRow(list[str]):
    """A row holding at least one ``OverLimitCell`` (so other rows cost no check)."""


def over_limit(cell: str, limit: int) -> OverLimitCell:
    return OverLimitCell(len(cell), cell[:PREVIEW_CHARS] + "...", limit)


def over_limit_issues(
    line: int, row: list[str], header: tuple[str, ...], source: str
) -> list[PatientIssue]:
    """A located error for each ``OverLimitCell`` of ``row`` (none for other rows)."""
    if not isinstance(row, OverLimitRow):
        return []
    where = header.index(ID_COLUMN) if ID_COLUMN in header else len(row)
    patient_id = row[where].strip() if where < len(row) else ""
    return [
        PatientIssue(
            line,
            header[index] if index < len(header) else None,
            cell.preview,
            cell.message,
            patient_id or None,
            source,
        )
        for index, cell in enumerate(row)
        if isinstance(cell, OverLimitCell)
    ]


class _Lines:
    """The physical lines given to the csv reader: counted, those of the current record
    kept (to recover from a cell the csv module refuses), a decoding error located."""

    def __init__(self, lines: Iterable[str], source: str) -> None:
        self._lines = iter(lines)
        self.source = source
        self.count = 0
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except UnicodeDecodeError as error:
            raise stream_error(self.source, error, self.count) from None
        self.count += 1
        self.record.append(line)
        return line


class GuardedTable:
    """The rows of a CSV table read from ``lines`` (a text stream opened with
    ``newline=""``, or any iterable of its lines), kept to ``limits``; ``line_num`` is the
    number of lines read so far, as ``csv.reader`` counts them."""

    def __init__(self, lines: Iterable[str], limits: InputLimits, source: str) -> None:
        self._lines = _Lines(lines, source)
        self._reader = csv.reader(self._lines)
        self.limits = limits
        self.source = source

    @property
    def line_num(self) -> int:
        return self._lines.count

    def header(self) -> list[str] | None:
        """The header row (None for empty input); refused when over the column limit, or
        when it shows that the file is separated by something other than commas."""
        names = next(self, None)
        if names is None:
            return None
        limit = self.limits.max_columns
        if len(names) > limit:
            raise InputLimitError(
                f"{self.source}: line 1: the header has {len(names):,} columns, over the limit "
                f"of {limit:,} (setting max_columns, option --max-columns)",
                line=1,
            )
        if isinstance(names, OverLimitRow):
            raise InputLimitError(
                f"{self.source}: line 1: a header cell is over the limit of "
                f"{self.limits.max_cell_chars:,} characters (setting max_cell_chars)",
                line=1,
            )
        if len(names) == 1:
            refuse_other_separators(names[0], self.source)
        return names

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        self._lines.record = []
        try:
            row = next(self._reader)
        except csv.Error as error:
            row = self._recover(error)
        limit = self.limits.max_cell_chars
        record = self._lines.record
        if len(record) == 1 and len(record[0]) <= limit:
            return row  # no cell is longer than the line it was read from
        if max(map(len, row), default=0) > limit:
            row = OverLimitRow(over_limit(c, limit) if len(c) > limit else c for c in row)
        return row

    def _recover(self, error: csv.Error) -> list[str]:
        """The record the csv module refused, its cells found again here (the over-long
        one an ``OverLimitCell``); the rest of an over-long quoted cell is skipped."""
        if "field larger than field limit" not in str(error):
            raise InputFormatError(
                f"{self.source}: line {self.line_num}: the table cannot be read: {error}",
                line=self.line_num,
            ) from None
        quotes = sum(line.count('"') for line in self._lines.record)
        while quotes % 2:  # inside a quoted cell: it ends where its closing quote is
            rest = next(self._lines, None)
            if rest is None:
                break
            quotes += rest.count('"')
        return split_record("".join(self._lines.record), self.limits.max_cell_chars)


def split_record(record: str, limit: int) -> OverLimitRow:
    """The cells of one CSV record (quotes removed), those over ``limit`` characters as
    ``OverLimitCell``s. Slow (a piece at a time), used only for the records the csv module
    refuses."""
    cells: list[list[str]] = [[]]
    for piece in _PIECE.finditer(record.rstrip("\r\n")):
        if piece.group() == ",":
            cells.append([])
        else:
            cells[-1].append(piece.group())
    row = OverLimitRow()
    for pieces in cells:
        length = sum(len(p) for p in pieces)
        if length > limit:
            start = "".join(pieces)[: PREVIEW_CHARS + 1].lstrip('"')[:PREVIEW_CHARS]
            row.append(OverLimitCell(length, start + "...", limit))
        else:
            row.append(next(csv.reader(["".join(pieces)]), [""])[0] if pieces else "")
    return row


def refuse_other_separators(header: str, source: str) -> None:
    """InputFormatError when a one-cell header holds ``;`` or tabs: the file is separated
    by them (as spreadsheets save "CSV" where the decimal mark is a comma)."""
    found = [(header.count(mark), mark) for mark in _SEPARATORS if mark in header]
    if not found:
        return
    mark = max(found)[1]
    raise InputFormatError(
        f"{source}: line 1: this file seems to be separated by {_SEPARATORS[mark]} — pedall "
        "reads comma-separated files; save it as CSV with commas (in a spreadsheet: 'CSV "
        "UTF-8 (comma delimited)') and '.' as the decimal mark, or convert it",
        line=1,
    )
