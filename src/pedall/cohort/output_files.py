"""Where a cohort command writes: standard output, or a file replaced whole when complete
(text, or bytes for a binary format such as Parquet, to a file only)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pedall.atomic_files import open_atomically, open_binary_atomically


@contextmanager
def open_output(path: Path | None) -> Iterator[IO[str]]:
    """Standard output, or a text file at ``path`` written through a temporary file in the
    same folder and renamed when complete (an error never leaves a partial file). It holds
    patient data, so it is readable by its owner only (mode 0600)."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with open_atomically(path, private=True) as stream:
        yield stream


@contextmanager
def open_binary_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary file at ``path`` (Parquet), written and replaced as ``open_output`` writes
    a text file: through a temporary file renamed when complete, mode 0600."""
    with open_binary_atomically(path, private=True) as stream:
        yield stream


@contextmanager
def open_sink(path: Path | None, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Where an output format writes: ``open_binary_output`` for a binary format (which
    needs ``path``), else ``open_output``."""
    if binary:
        assert path is not None, "a binary format is written to a file"
        with open_binary_output(path) as stream:
            yield stream
    else:
        with open_output(path) as stream:
            yield stream
