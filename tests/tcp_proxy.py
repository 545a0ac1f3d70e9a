"""A TCP proxy the test controls, between the app and PostgreSQL, to fail the network on cue.

- open():    bytes flow both ways (the normal state).
- cut():     the listening socket closes (new connections are refused) and every open
             connection is reset: a database host that went away.
- hang():    connections are accepted and kept, but nothing is forwarded either way, and open
             connections go silent: a link that swallows everything and never answers.
- restore(): back to open(); connections left over from a hang are reset.
- delay:     seconds added before the first bytes of every answer (upstream to client after the
             client spoke): a slow link's latency, per response (bench/sync_bench.py, the PWA tests).

Threads only, no asyncio: it must run beside pytest and a subprocess server without an event loop.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time

from tests.server_process import free_port


def _reset(sock: socket.socket) -> None:
    """Close with an RST rather than a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432, delay: float = 0.0):
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.port = free_port()
        self.mode = "open"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = False
        self.accepted = 0

    # --- control
    def start(self) -> TcpProxy:
        self._listen()
        return self

    def cut(self) -> None:
        with self._lock:
            self.mode = "cut"
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            # Wake the thread blocked in accept() first: on Linux a listening socket closed under
            # a pending accept() stays bound until it returns, and restore() could not listen again.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            _reset(sock)

    def hang(self) -> None:
        with self._lock:
            self.mode = "hang"
        if self._listener is None:
            self._listen()

    def restore(self) -> None:
        with self._lock:
            previous, self.mode = self.mode, "open"
            stale = self._sockets if previous == "hang" else set()
            if previous == "hang":
                self._sockets = set()
        for sock in stale:
            _reset(sock)
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._stopped = True
        self.cut()

    # --- plumbing
    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            self.accepted += 1
            with self._lock:
                self._sockets.add(client)
                mode = self.mode
            if mode == "hang":
                continue  # accepted, kept, never answered
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._sockets.add(server)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        asked = False  # the client has sent since the last answer began: the next answer waits
        try:
            while True:
                with self._lock:
                    alive = a in self._sockets and b in self._sockets
                    mode = self.mode
                if not alive:
                    return
                if mode != "open":
                    time.sleep(0.05)  # silent: read nothing, forward nothing
                    continue
                readable, _, _ = select.select([a, b], [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is a:
                        asked = True
                    elif asked and self.delay:
                        asked = False
                        time.sleep(self.delay)
                    peers[sock].sendall(data)
        except (OSError, ValueError):  # reset or closed under us by cut()/restore()
            return
        finally:
            with self._lock:
                self._sockets.discard(a)
                self._sockets.discard(b)
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
