"""The PostgreSQL server the tests run against: is it there, and throwaway databases on it.

The server outlives a test run, so every run creates databases of its own and drops them.
Under CI (CI=true) a missing server fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "POSTROUND_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pg_unavailable() -> str | None:
    """Why the server cannot be used, or None when it answers."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: no server
        return str(exc).splitlines()[0]


def require_pg() -> None:
    """Skip the calling test when there is no server, or fail it under CI."""
    problem = pg_unavailable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Create an empty database named <prefix>_<random>, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def empty_tables(session, metadata: sa.MetaData) -> None:
    """Every table of `metadata` empty and every sequence back at 1, as TRUNCATE … RESTART IDENTITY
    leaves them, in a fraction of its time: only the tables a test wrote to are emptied, by DELETE
    (TRUNCATE costs a file swap per table, ~0.3 s for the whole schema on a loaded machine)."""
    tables = metadata.sorted_tables
    probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
    # Not bound by the app's own statement timeout (a test may set it to a fraction of a second).
    session.execute(sa.text("SET LOCAL statement_timeout = 0"))
    written = set(session.execute(sa.text(probe)).scalars())
    try:
        for table in reversed(tables):  # children before parents
            if table.name in written:
                session.execute(sa.text(f'DELETE FROM "{table.name}"'))
        session.execute(
            sa.text(
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
            )
        )
        session.commit()
    except sa.exc.IntegrityError:  # a cycle the table order cannot break: the slow way
        session.rollback()
        names = ", ".join(f'"{t.name}"' for t in tables)
        session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        session.commit()
