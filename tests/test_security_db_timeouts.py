"""The database's own timeouts, in process, on both databases.

PostgreSQL: a request stuck behind another transaction's lock is given up after the statement
timeout and answers 503 with Retry-After, instead of waiting for ever. SQLite: a database file
that cannot be opened is an outage like any other: 503, and /api/health says the database is down.
(The network failing under a real gunicorn is tests/test_security_outage.py.)
"""

from __future__ import annotations

import shutil
import time

import pytest
import sqlalchemy as sa

from backend.extensions import db


@pytest.fixture
def app_config():
    return {"DB_STATEMENT_TIMEOUT_MS": 600, "DB_RETRY_AFTER": 11}


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "11"
    assert response.get_json()["type"].endswith("/database-unavailable")


# SQLite has no statement timeout (its busy timeout is DB_BUSY_TIMEOUT); PostgreSQL only.
@pytest.mark.parametrize("backend_name", ["postgresql"])
def test_a_request_stuck_behind_a_lock_gives_up_after_the_statement_timeout(app, client, make, auth):
    headers = auth(make.user("supervisor"))
    blocker = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with blocker.connect() as conn:
            conn.execute(sa.text("LOCK TABLE items IN ACCESS EXCLUSIVE MODE"))  # held until rollback

            started = time.monotonic()
            response = client.get("/api/items", headers=headers)
            took = time.monotonic() - started

            conn.rollback()
    finally:
        blocker.dispose()

    _assert_unavailable(response)
    assert 0.5 < took < 5
    assert client.get("/api/items", headers=headers).status_code == 200  # the lock is gone: it works again


# (PostgreSQL failing under a real server: tests/test_security_outage.py.)
@pytest.mark.parametrize("backend_name", ["sqlite"])
def test_a_database_that_cannot_be_opened_is_a_503_and_health_says_down(app, client, make, auth, tmp_path):
    headers = auth(make.user("supervisor"))
    path, away = tmp_path / "test.db", tmp_path / "away"
    # Close what the app holds open: the `make` fixture's app context (which requests share) and the pool.
    db.session.remove()
    db.engine.dispose()
    away.mkdir()
    for name in ("test.db", "test.db-wal", "test.db-shm"):
        if (tmp_path / name).exists():
            shutil.move(tmp_path / name, away / name)
    path.mkdir()  # where the file was, something SQLite cannot open

    _assert_unavailable(client.get("/api/items", headers=headers))
    health = client.get("/api/health")
    _assert_unavailable(health)
    assert health.get_json()["database"] == "down"

    path.rmdir()
    for moved in away.iterdir():
        shutil.move(moved, tmp_path / moved.name)
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/items", headers=headers).status_code == 200
