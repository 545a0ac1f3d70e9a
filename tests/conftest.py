"""Fixtures: the app on SQLite and on PostgreSQL, personas, and factories.

Every API test runs against both databases. PostgreSQL gets one database per test
run (created here, dropped at the end) because the server outlives the run.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.extensions import db
from backend.timeutil import local_today
from tests.factories import Factory
from tests.pg import fresh_database, require_pg

BACKENDS = ["sqlite", "postgresql"]


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


def _test_config(url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "POSTROUND_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
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


@pytest.fixture
def app(request, backend_name, tmp_path, app_config):
    storage = {"STORAGE_DIR": str(tmp_path / "storage")}
    if backend_name == "sqlite":
        app = create_app(_test_config(f"sqlite:///{tmp_path / 'test.db'}", **storage, **app_config))
        with app.app_context():
            db.create_all()
    else:
        url = request.getfixturevalue("_pg_schema")
        app = create_app(_test_config(url, **storage, **app_config))
        with app.app_context():
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


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


@pytest.fixture
def auth(client, make):
    """auth(user) -> headers with a real access token obtained through /api/auth/login."""

    def headers_for(user, device_id=None):
        body = {"username": user.username, "password": Factory.PASSWORD}
        if device_id:
            body["device_id"] = device_id
        response = client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return headers_for


# Personas ------------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(make):
    return make.user("supervisor")


@pytest.fixture
def postman(make):
    return make.user("postman")


@pytest.fixture
def today(app):
    """The post office's date, not the machine's."""
    with app.app_context():
        return local_today()
