"""The SQL statements a piece of work sends to the database, as the app's engine runs them."""

from __future__ import annotations


def statements_of(app, call) -> tuple[list[str], object]:
    """Run `call()` and return (every statement it sent, whitespace folded; what it returned)."""
    from sqlalchemy import event

    from backend.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        returned = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements, returned
