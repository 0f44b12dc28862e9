"""A progress bar on stderr for a long cohort run, by bytes read when the input's size is
known."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


@dataclass
class ProgressBar:
    """A rich progress bar on stderr, by bytes read when the input's size is known."""

    stream: IO[bytes]
    source: str
    show: bool
    forced: bool = False
    _progress: Progress | None = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.show:
            return lambda done: None
        total = _size(self.stream)
        # Asked for explicitly: drawn even when stderr is not a terminal.
        console = Console(file=sys.stderr, force_terminal=True if self.forced else None)
        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.fields[patients]} patients"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        task = self._progress.add_task(self.source, total=total, patients=0)
        self._progress.start()
        progress = self._progress
        counted = 0

        def advance(done: int) -> None:
            nonlocal counted
            counted += done
            position = _position(self.stream)
            progress.update(task, completed=position, patients=counted)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _size(stream: IO[bytes]) -> float | None:
    try:
        return float(os.fstat(stream.fileno()).st_size) or None
    except (OSError, io.UnsupportedOperation, AttributeError):
        return None


def _position(stream: IO[bytes]) -> float | None:
    try:
        return float(stream.tell())
    except (OSError, io.UnsupportedOperation):
        return None
