"""A watchdog for database round trips that never come back.

PostgreSQL's statement_timeout and connect_timeout (backend/config.py) bound a slow server
and a server that cannot be reached. They cannot bound a link that swallows what is sent and
never answers (a hung proxy, a half-dead load balancer): the server never sees the statement.
So every round trip to PostgreSQL (execute, commit, rollback, the pool's ping) is armed here
with a deadline; a watchdog thread shuts down the socket of one that overruns it. The waiting
call then fails at once with a disconnect, SQLAlchemy throws the connection away and the
request answers 503 (backend/errors.py) instead of freezing its worker.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)

_GUARDED = ("do_execute", "do_executemany", "do_execute_no_params", "do_commit", "do_rollback", "do_ping")


class _Watchdog:
    def __init__(self):
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, object]] = {}
        self._thread: threading.Thread | None = None
        self._pid = None
        self._wake = threading.Event()

    def _ensure_thread(self) -> None:
        # Threads do not survive a fork (gunicorn's workers): one watchdog per process.
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="postround-db-watchdog", daemon=True)
            self._thread.start()

    def arm(self, token: int, seconds: float, dbapi_connection) -> None:
        with self._lock:
            self._ensure_thread()
            self._armed[token] = (time.monotonic() + seconds, dbapi_connection)

    def disarm(self, token: int) -> None:
        with self._lock:
            self._armed.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self._lock:
                overdue = [
                    (token, conn) for token, (deadline, conn) in self._armed.items() if deadline <= now
                ]
                for token, _ in overdue:
                    del self._armed[token]
            for _, conn in overdue:
                _cut(conn)


def _cut(dbapi_connection) -> None:
    """Shut the connection's socket down so the call waiting on it fails now."""
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # already closed
        return
    log.warning("database round trip overran its deadline; closing the connection")
    with contextlib.suppress(OSError), socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


def _connection_of(name: str, args: tuple):
    first = args[0]
    return first.connection if name.startswith("do_execute") else first


def guard_engine(engine, seconds: float) -> None:
    """Arm every round trip of a PostgreSQL engine with a deadline of `seconds`."""
    dialect = engine.dialect
    if dialect.name != "postgresql" or getattr(dialect, "_postround_guarded", False):
        return
    for name in _GUARDED:
        original = getattr(dialect, name)

        @functools.wraps(original)
        def guarded(*args, _original=original, _name=name, **kwargs):
            token = object()
            WATCHDOG.arm(id(token), seconds, _connection_of(_name, args))
            try:
                return _original(*args, **kwargs)
            finally:
                WATCHDOG.disarm(id(token))

        setattr(dialect, name, guarded)
    dialect._postround_guarded = True
