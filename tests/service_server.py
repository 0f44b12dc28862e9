"""A real ``pedall serve`` in a subprocess on 127.0.0.1 and a free port, for the service
tests; its standard error (the access log) is kept in a file the tests can read."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_SECONDS = 240.0  # a loaded 2-core machine starts the service and its workers slowly


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningService:
    """A service under test: where it answers, its process and its log file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def sparql_url(self) -> str:
        return f"{self.base_url}/sparql"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_service(log_path: Path, *arguments: str) -> Iterator[RunningService]:
    """Start ``pedall serve`` with ``arguments`` and stop it (SIGINT, then kill) after."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from pedall.cli.main import main; main()",
        "serve",
        "--port",
        str(port),
        *arguments,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    service = RunningService(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_up(service)
        yield service
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(service: RunningService) -> None:
    """Poll ``/health`` until the service answers (it loads and infers the graph first)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"pedall serve exited early:\n{service.log_text()}")
        try:
            if httpx.get(f"{service.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"pedall serve did not come up:\n{service.log_text()}")


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` still runs (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False
