"""An app on a brand-new database migrated to a given revision (for data-migration tests), and the
app on a database as it stands, which both these and tests/test_migrations.py start from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
from flask import Flask

from backend import create_app
from backend.extensions import db
from tests.pg import fresh_database, require_pg


def app_on(url: str, tmp_path) -> Flask:
    """The app on the database at `url`, which it neither creates nor migrates."""
    return create_app(
        {
            "POSTROUND_ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )


@contextmanager
def empty_database(backend_kind: str, tmp_path, prefix: str) -> Iterator[str]:
    """The URL of a brand-new, empty database: a file in `tmp_path`, or one on the PostgreSQL server."""
    if backend_kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'{prefix}.db'}"
        return
    require_pg()
    with fresh_database(prefix) as url:
        yield url


@contextmanager
def migrated_app(backend_kind: str, tmp_path, revision: str):
    with empty_database(backend_kind, tmp_path, "postround_mig7") as url:
        app = app_on(url, tmp_path)
        with app.app_context():
            flask_migrate.upgrade(revision=revision)
        try:
            with app.app_context():
                yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
