"""A real PostRound server in a subprocess, to kill at the worst moment and start again.

gunicorn with one sync worker (or `workers`) serves wsgi:app on a free port of 127.0.0.1, against
the DATABASE_URL and STORAGE_DIR it is given; further settings come as keyword arguments (several
servers given the same database, Redis and attachment store are the nodes of one deployment). The server runs in a process group of its own,
so `kill()` SIGKILLs the master and its worker in one go: no worker is left behind
serving half a request on the inherited socket.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "crash-test-secret-key-that-is-long-enough-0123456789"
ID_HASH_KEY = "crash-test-id-hash-key-that-is-long-enough-9876543210"


WEBHOOK_SECRET_KEY = "test-webhook-secret-key-long-enough-0123456789"


def production_env(database_url: str, storage_dir: str | os.PathLike, **env: str) -> dict[str, str]:
    """The environment of a production process (a server, a worker) on the test's database and storage."""
    return {
        **os.environ,
        "POSTROUND_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "ID_HASH_KEY": ID_HASH_KEY,
        # The tests' app seals webhook secrets under this key too (tests/conftest.py): one deployment.
        "WEBHOOK_SECRET_KEY": WEBHOOK_SECRET_KEY,
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(storage_dir),
        "RATELIMIT_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        **env,
    }


def spawn(command: list[str], env: dict[str, str], log) -> subprocess.Popen:
    """`command` run from the repository, its output to `log`, in a process group of its own (so that
    os.killpg reaches its children too)."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """start() / kill() / restart() / stop(); `url` is where it listens, `log_path` what it printed."""

    def __init__(
        self,
        database_url: str,
        storage_dir: str | os.PathLike,
        log_path: str | os.PathLike,
        port: int | None = None,
        workers: int = 1,
        **env: str,
    ):
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.env = production_env(database_url, storage_dir, **env)
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until /api/health answers 200."""
        assert self.process is None, "already running"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "2",
            "--log-level",
            "warning",
            "--no-control-socket",  # else every gunicorn shares ~/.gunicorn/gunicorn.ctl
            "wsgi:app",
        ]
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            log.flush()
            self.process = spawn(command, self.env, log)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(f"the server exited with {code} while starting:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer /api/health within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the server (master and worker) and reap it: like pulling the plug."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # its own group: start_new_session=True
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def restart(self, timeout: float = 30.0) -> None:
        self.kill()
        self.start(timeout)

    def stop(self) -> None:
        """A polite stop (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
