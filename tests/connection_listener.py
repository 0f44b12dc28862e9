"""A TCP listener on loopback that counts the connections made to it: the proof, in the
no-network tests, that nothing a client sent made pedall open a connection."""

from __future__ import annotations

import socket
import threading

MARKER = b"pedall-test-marker"


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections made to it (other than the
    test's own marker connections) and closes each at once."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._marked = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2.0)
                try:
                    first = connection.recv(len(MARKER))
                except OSError:
                    first = b""
                if first == MARKER:
                    self._marked.set()
                else:
                    self.connections += 1

    def connections_so_far(self) -> int:
        """The count once every earlier connection is accepted: the listener accepts in
        order, so when it has seen a marker sent now, it has seen everything before."""
        self._marked.clear()
        with socket.create_connection(("127.0.0.1", self.port)) as marker:
            marker.sendall(MARKER)
        assert self._marked.wait(5.0)
        return self.connections
