"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL.

These tests start from an empty database and run the real migrations (no create_all).
"""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from backend import create_app
from backend.extensions import db
from tests.pg import fresh_database, require_pg


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    """The app bound to a brand-new, empty database."""
    if request.param == "sqlite":
        yield from _app_on(f"sqlite:///{tmp_path / 'migrations.db'}", tmp_path)
    else:
        require_pg()
        with fresh_database("postround_mig") as url:
            yield from _app_on(url, tmp_path)


def _app_on(url: str, tmp_path):
    app = create_app({"POSTROUND_ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "RATELIMIT_ENABLED": False, "STORAGE_DIR": str(tmp_path / "storage")})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _insert_audit_row(conn) -> None:
    conn.execute(sa.text("INSERT INTO audit_log (at, action, entity_type) "
                         "VALUES (CURRENT_TIMESTAMP, 'test.created', 'test')"))


def test_upgrade_builds_exactly_the_models_schema(empty_app):
    assert _table_names() == set()
    flask_migrate.upgrade()

    assert _table_names() == set(db.metadata.tables) | {"alembic_version"}
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == []


def test_upgrade_reaches_the_one_and_only_head(empty_app):
    heads = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads, merge them: {heads}"
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_the_database_refuses_to_change_or_delete_audit_entries(empty_app):
    flask_migrate.upgrade()
    with db.engine.begin() as conn:
        _insert_audit_row(conn)

    statements = ["UPDATE audit_log SET action = 'tampered'", "DELETE FROM audit_log"]
    if db.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(sa.exc.IntegrityError, match="audit log is append-only"), \
                db.engine.begin() as conn:
            conn.execute(sa.text(statement))

    with db.engine.begin() as conn:
        _insert_audit_row(conn)  # appending still works
        rows = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    assert rows == ["test.created", "test.created"]


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")

    assert _table_names() <= {"alembic_version"}
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            leftovers = conn.execute(sa.text(
                "SELECT proname FROM pg_proc WHERE proname = 'audit_log_refuse_change'")).all()
        else:
            leftovers = conn.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE tbl_name != 'alembic_version'")).all()
    assert leftovers == []

    flask_migrate.upgrade()
    assert _table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_login_sessions_are_carried_over_from_existing_refresh_token_families(empty_app):
    """Phones signed in before the upgrade stay signed in; a family already revoked stays revoked."""
    flask_migrate.upgrade(revision="0004")
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
                             "VALUES (1, 'buuta', 'x', 'Bưu tá', 'postman', TRUE, CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO devices (id, user_id, registered_at, last_seq) "
                             "VALUES ('phone-mig-1', 1, CURRENT_TIMESTAMP, 0)"))
        rows = [("t1", "alive", "phone-mig-1", None), ("t2", "alive", "phone-mig-1", "2026-11-26 08:00:00+00"),
                ("t3", "dead", None, "2026-11-26 09:00:00+00"), ("t4", "dead", None, "2026-11-26 09:30:00+00")]
        for token_id, family, device, revoked in rows:
            conn.execute(sa.text(
                "INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, issued_at, expires_at, "
                "revoked_at) VALUES (:id, :family, 1, :device, :hash, '2026-11-26 07:00:00+00', "
                "'2026-12-26 07:00:00+00', :revoked)"),
                {"id": token_id, "family": family, "device": device, "hash": token_id * 16, "revoked": revoked})
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        sessions = {row.id: row for row in conn.execute(sa.text(
            "SELECT id, user_id, device_id, revoked_at FROM login_sessions"))}
    assert set(sessions) == {"alive", "dead"}
    assert sessions["alive"].revoked_at is None and sessions["alive"].device_id == "phone-mig-1"
    assert sessions["dead"].revoked_at is not None and sessions["dead"].user_id == 1
