"""Browser tests: a real server in a thread, driven by Debian's headless Chromium via Playwright.

Never `playwright install`: it downloads a browser, which these machines cannot.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from backend import create_app
from backend.extensions import db
from tests.conftest import _test_config
from tests.factories import Factory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    # Under CI the browser tests must run: without Chromium they fail at launch, never skip.
    if os.path.exists(CHROMIUM) or os.environ.get("CI") == "true":
        return
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class LiveServer:
    """The real app on 127.0.0.1:<port>, stoppable and restartable on the same port and database."""

    def __init__(self, tmp_path, database_url: str | None = None, **config):
        self.config = _test_config(database_url or f"sqlite:///{tmp_path / 'live.db'}",
                                   STORAGE_DIR=str(tmp_path / "storage"), **config)
        self.app = create_app(self.config)
        with self.app.app_context():
            db.create_all()
        self.make = Factory(self.app)
        self.port = None
        self._server = None

    def start(self):
        self._server = make_server("127.0.0.1", self.port or 0, self.app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()
