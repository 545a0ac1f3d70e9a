"""Fixtures: the app on SQLite and on PostgreSQL, personas, factories and shared tools.

Every API test runs against both databases. PostgreSQL gets one database per test
run (created here, dropped at the end) because the server outlives the run.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import socket
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.extensions import db
from backend.timeutil import local_today
from tests.factories import Factory
from tests.gateway import Gateway
from tests.pg import empty_tables, fresh_database, require_pg
from tests.stores import S3_REGION

BACKENDS = ["sqlite", "postgresql"]

# The longest files first (paths under tests/): the suite runs a file per worker (scripts/test.sh), so a
# long file that starts last is the run's tail while the other worker idles. Measured with --junitxml
# (a file's tests' total time) on a full run; the files after these are sorted by their number of tests.
SLOWEST_FIRST = (
    "test_contract_fuzz.py",
    "test_authorization_matrix.py",
    "test_sync_protocol.py",
    "security/test_reads.py",
    "test_migrations.py",
    "test_handovers.py",
    "security/test_files.py",
    "test_notifications.py",
    "test_two_nodes.py",
    "test_sync_postgres.py",
    "test_reattempts.py",
    "test_agency_webhooks.py",
    "test_commit_log_postgres.py",
    "test_hostile_input.py",
    "browser/test_pwa_slow_link.py",
    "test_reports.py",
    "test_worker_kill.py",
    "test_rounds_api.py",
    "test_sync_crash.py",
    "test_cli_seed.py",
    "test_sync_stateful.py",
    "browser/test_dashboard_push_latency.py",
    "test_security_outage.py",
    "browser/test_security_outage.py",
    "test_security_throttles.py",
)
TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """The files in the order the workers should take them: SLOWEST_FIRST, then the rest by their number
    of tests, most first. pytest-xdist keeps this order only with --no-loadscope-reorder (scripts/test.sh):
    its default reorders the files by test count alone, which put the contract fuzz's four long tests
    at the very end of the run."""
    _keep_this_runs_share(config, items)
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    tests_in = Counter(item.path for item in items)
    # A stable sort: a file's tests stay together and in their order.
    items.sort(
        key=lambda item: (
            rank.get(item.path.relative_to(TESTS_DIR).as_posix(), len(rank)),
            -tests_in[item.path],
        )
    )


_collected_before: dict[str, Path | None] = {"path": None}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """At each test file's first test, collect and then freeze what is alive (the imports, the
    session's fixtures, what earlier files left): the collector never walks those again. Without
    it, a worker's heap grew to a million objects by mid-run and each full collection stopped every
    thread of the process, phones and live servers alike, for 1-1.7 s (a 2 ms route took 2 s in
    CI), about a tenth of the run."""
    if item.path != _collected_before["path"]:
        _collected_before["path"] = item.path
        freeze_what_is_alive()


def freeze_what_is_alive() -> None:
    """Collect, then move every object still alive out of the collector's walks for good."""
    gc.collect()
    gc.freeze()


def _keep_this_runs_share(config, items) -> None:
    """scripts/test.sh runs the suite twice over: POSTROUND_TESTS=shared, every test but the `alone` ones,
    on every core; then POSTROUND_TESTS=alone, those, in one process with the machine to itself (a
    latency compared with a baseline measured minutes apart on a core another worker shares is noise).
    Unset, a run takes every test it selects."""
    share = os.environ.get("POSTROUND_TESTS")
    if share not in ("shared", "alone"):
        return
    kept, left = [], []
    for item in items:
        (kept if (item.get_closest_marker("alone") is not None) == (share == "alone") else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def _url_builders_compiled_once() -> None:
    """Most tests create an app of their own, and half of create_app's time was werkzeug writing and
    compiling Python source for each of its ~100 URL rules' builders, the same code every time.
    The code depends on the rule alone (its parts and its defaults' names; the rule and its converters
    come in as arguments), so each builder is compiled once per process and every app's rules share it.
    A rule whose default fills a variable of its path bakes the converted value in: compiled as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def shared_builder(self, append_unknown=True):
        defaults = tuple(self.defaults or ())
        if any(name in self._converters for name in defaults):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = shared_builder


_url_builders_compiled_once()


def redis_up() -> bool:
    """Whether Redis answers on 127.0.0.1:6379 (the shared rate-limit store's tests need it)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


# A budget per address no test reaches: the limit a test is about is the one per account or per code.
ROOMY = "1000 per minute"


def tracking_limits(per_code: str) -> dict:
    """Rate limiting on, for tracking: `per_code` look-ups of one item code, 3 wrong digits a minute."""
    return {
        "RATELIMIT_ENABLED": True,
        "TRACKING_RATE_LIMIT": ROOMY,
        "TRACKING_CODE_RATE_LIMIT": per_code,
        "TRACKING_WRONG_DIGITS_LIMIT": "3 per minute",
    }


@pytest.fixture(scope="session")
def pg_database_url():
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    require_pg()
    with fresh_database("postround_test") as url:
        yield url


@pytest.fixture(scope="session")
def _pg_schema(pg_database_url):
    app = create_app(_test_config(pg_database_url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return pg_database_url


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory) -> str:
    """A SQLite file holding the models' schema, built once per worker: each SQLite test starts from a
    copy of it (a file copy instead of create_all for each of ~1,500 tests)."""
    folder = tmp_path_factory.mktemp("sqlite-schema")
    path = folder / "schema.db"
    config = _test_config(
        f"sqlite:///{path}",
        STORAGE_DIR=str(folder / "storage"),
        TASK_QUEUE_URL=f"sqlite:///{folder / 'q.db'}",
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))  # the whole schema in the one file
        db.session.remove()
        db.engine.dispose()
    return str(path)


def _test_config(url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "POSTROUND_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "WEBHOOK_SECRET_KEY": "test-webhook-secret-key-long-enough-0123456789",  # tests/server_process.py
        "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    return config


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    return request.param


@pytest.fixture
def app_config():
    """Override in a test module to change settings."""
    return {}


@pytest.fixture(scope="session")
def s3_server():
    """An S3 API emulator (moto's server mode) in a thread on a free 127.0.0.1 port: its endpoint URL.
    Credentials reach boto3 the standard way, through the AWS_* variables."""
    from moto.server import ThreadedMotoServer

    from tests.server_process import free_port

    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "postround-test")
        env.setenv("AWS_SECRET_ACCESS_KEY", "postround-test-secret")
        env.setenv("AWS_CONFIG_FILE", "/dev/null")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        env.setattr(logging.getLogger("werkzeug"), "level", logging.WARNING)  # not a line per S3 request
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        # Handler threads of boto3's kept-alive connections must not hold up the session's end.
        server._server.daemon_threads, server._server.block_on_close = True, False
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def s3_bucket(endpoint: str) -> str:
    """A new, empty bucket on the emulator."""
    import boto3

    name = f"postround-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    return name


@pytest.fixture
def attachment_store(request):
    """Which store the app keeps files in: "directory" unless a test asks for both (tests.stores)."""
    return getattr(request, "param", "directory")


@pytest.fixture
def store_config(request, attachment_store, tmp_path) -> dict:
    config = {"STORAGE_DIR": str(tmp_path / "storage")}
    if attachment_store == "s3":
        endpoint = request.getfixturevalue("s3_server")
        config.update(
            ATTACHMENT_STORE="s3",
            S3_BUCKET=s3_bucket(endpoint),
            S3_ENDPOINT_URL=endpoint,
            S3_REGION=S3_REGION,
        )
    return config


@contextmanager
def app_on(request, backend_name: str, folder: Path, config: dict):
    """The app on an empty database of `backend_name` (a copy of the schema file in `folder`, or the
    run's PostgreSQL database emptied), its task queue in `folder`, `config` over the test settings."""
    config = {"TASK_QUEUE_URL": f"sqlite:///{folder / 'queue.db'}", **config}
    if backend_name == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_schema"), folder / "test.db")
        app = create_app(_test_config(f"sqlite:///{folder / 'test.db'}", **config))
    else:
        app = create_app(_test_config(request.getfixturevalue("_pg_schema"), **config))
        with app.app_context():
            empty_tables(db.session, db.metadata)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(request, backend_name, tmp_path, app_config, store_config):
    with app_on(request, backend_name, tmp_path, {**store_config, **app_config}) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories that write real rows: make.user(role=...), make.item(...), ..."""
    with app.app_context():
        yield Factory(app)


def signed_in(client, user, device_id=None) -> dict:
    """Headers with a real access token for `user`, obtained through /api/auth/login."""
    body = {"username": user.username, "password": Factory.PASSWORD}
    if device_id:
        body["device_id"] = device_id
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def auth(client, make):
    """auth(user) -> headers with a real access token obtained through /api/auth/login."""
    return lambda user, device_id=None: signed_in(client, user, device_id)


# Personas ------------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(make):
    return make.user("supervisor")


@pytest.fixture
def postman(make):
    return make.user("postman")


@pytest.fixture
def poppler():
    """pdftoppm and pdftotext, to read a printed PDF back (required in CI)."""
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm/pdftotext (poppler-utils) are missing; scripts/test.sh installs them")
        pytest.skip("poppler-utils is not installed")


@pytest.fixture
def today(app):
    """The post office's date, not the machine's."""
    with app.app_context():
        return local_today()


# An agency and its officer, as the agency-side stories meet them (a test file may give its own).
@pytest.fixture
def agency(make):
    return make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")


@pytest.fixture
def officer(make, agency):
    return make.user("agency", agency_id=agency.id, full_name="Phạm Thị Hồng Nhung")


@pytest.fixture
def agency_world(make, supervisor, agency, officer):
    """What an agency's system meets in a day: its officer, another agency, a postman's round and the
    supervisor who moves the items."""
    postman = make.user("postman")
    return {
        "agency": agency,
        "officer": officer,
        "other_agency": make.agency(),
        "postman": postman,
        "round": make.round(postman),
        "supervisor": supervisor,
    }


@pytest.fixture
def gateway():
    """The local double of the SMS gateway and Zalo ZNS (tests/gateway.py), running for one test."""
    with Gateway() as running:
        yield running
