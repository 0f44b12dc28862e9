"""Write output files whole (a temporary file in the same folder, then a rename), with the
permissions their content calls for.

- ``private=True``, for what holds patient data (the outputs of ``classify`` and
  ``validate``): mode 0600 (less if the umask takes more), whatever file it replaces.
- ``private=False``, for knowledge exports: a new file gets 0666 less the umask, as any
  file a program creates; a replaced file keeps its mode.

The temporary file is created with that mode (``os.open`` with ``O_EXCL``, so the kernel
applies the umask), never readable by others while it is written. SIGINT and SIGTERM
while it is written remove it (the run then exits with a non-zero status).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO

PRIVATE_MODE = 0o600
SHARED_MODE = 0o666


def write_atomically(content: bytes, path: Path, *, private: bool) -> None:
    """Write ``content`` to ``path``, replacing it whole; an error leaves no partial file."""
    with _atomic(path, private=private) as handle, os.fdopen(handle, "wb") as stream:
        stream.write(content)


@contextlib.contextmanager
def open_atomically(path: Path, *, private: bool) -> Iterator[IO[str]]:
    """A UTF-8 text stream whose content replaces ``path`` when the block ends without an
    error (and is dropped when it raises)."""
    with (
        _atomic(path, private=private) as handle,
        os.fdopen(handle, "w", encoding="utf-8", newline="") as stream,
    ):
        yield stream


@contextlib.contextmanager
def open_binary_atomically(path: Path, *, private: bool) -> Iterator[IO[bytes]]:
    """A binary stream whose content replaces ``path`` when the block ends without an
    error (and is dropped when it raises), for writers that stream bytes (Parquet)."""
    with _atomic(path, private=private) as handle, os.fdopen(handle, "wb") as stream:
        yield stream


@contextlib.contextmanager
def _atomic(path: Path, *, private: bool) -> Iterator[int]:
    """A file descriptor of a new temporary file next to ``path``, renamed to ``path``
    when the block ends (the caller closes the descriptor inside the block)."""
    keep = None if private or not path.exists() else path.stat().st_mode & 0o7777
    temporary: Path | None = None
    with _termination_raises():
        try:
            while True:
                temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
                try:
                    handle = os.open(
                        temporary,
                        os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                        PRIVATE_MODE if private else SHARED_MODE,
                    )
                except FileExistsError:
                    continue
                break
            yield handle
            if keep is not None:
                os.chmod(temporary, keep)
            os.replace(temporary, path)
        except BaseException:
            if temporary is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
            raise


@contextlib.contextmanager
def _termination_raises() -> Iterator[None]:
    """While a temporary file exists, SIGTERM raises ``SystemExit(143)`` as SIGINT raises
    ``KeyboardInterrupt``, so the file is removed on the way out (by default SIGTERM ends
    a Python process at once, leaving it behind) and the exit status says the run was
    stopped. Only in the main thread, where SIGTERM still has its default action."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    if not _FORK_HOOK:
        os.register_at_fork(after_in_child=_default_termination_in_child)
        _FORK_HOOK.append(True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


_FORK_HOOK: list[bool] = []  # whether _default_termination_in_child is registered


def _default_termination_in_child() -> None:
    """A process forked while an output is written (a cohort worker) gets SIGTERM's
    default action back at once, so that it ends as it did before (Pool.terminate)."""
    if signal.getsignal(signal.SIGTERM) is _stop:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
