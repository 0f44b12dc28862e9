"""Cut a query worker process off the network before it runs any client's query.

The query policy (``pedall.query.policy``) refuses ``SERVICE`` and ``FROM``; this is the
second line, for a query that slips past it. Two layers:

- the kernel: the process moves into a network namespace of its own (``unshare`` with a
  user namespace, which needs no privilege where the kernel allows unprivileged user
  namespaces). The new namespace has only a loopback interface, and that one down, so
  every connection fails, from Python or from pyoxigraph's Rust HTTP client (which
  ``SERVICE`` uses and which does not go through Python's ``socket`` module). Where the
  kernel or a container's seccomp profile refuses ``unshare``, this layer is missing.
- Python: ``socket.socket.connect``, ``connect_ex``, ``sendto`` and
  ``socket.create_connection`` raise, so no Python code in the worker can open a
  connection either way. This layer does not cover native code.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
from typing import NoReturn

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


class NetworkCutOff(OSError):
    """A connection attempted by a process that was cut off the network."""


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise NetworkCutOff("this process is cut off the network: no outbound connection")


def cut_network() -> bool:
    """Cut this process off the network (both layers above, as far as the system allows).

    Call before the process has threads (a user namespace needs a single-threaded
    process). Returns whether the kernel layer is in place (the Python layer always is).
    """
    socket.socket.connect = _refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
    socket.socket.sendto = _refuse  # type: ignore[method-assign]
    socket.create_connection = _refuse
    return _own_network_namespace()


def _own_network_namespace() -> bool:
    """Move into a new (empty) network namespace; False where the kernel refuses."""
    if not hasattr(os, "sched_getaffinity"):  # not Linux: no namespaces
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return False
    return bool(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0)
