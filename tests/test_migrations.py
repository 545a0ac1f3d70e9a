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
    app = create_app(
        {
            "POSTROUND_ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _insert_audit_row(conn) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO audit_log (at, action, entity_type) "
            "VALUES (CURRENT_TIMESTAMP, 'test.created', 'test')"
        )
    )


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
        with (
            pytest.raises(sa.exc.IntegrityError, match="audit log is append-only"),
            db.engine.begin() as conn,
        ):
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
            leftovers = conn.execute(
                sa.text("SELECT proname FROM pg_proc WHERE proname = 'audit_log_refuse_change'")
            ).all()
        else:
            leftovers = conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE tbl_name != 'alembic_version'")
            ).all()
    assert leftovers == []

    flask_migrate.upgrade()
    assert _table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_the_reattempt_migration_carries_failed_visits_and_resolved_proofs_over(empty_app):
    """Failed visits made before the regulation was tracked count as invitations; a flagged proof
    that was "resolved" is recorded as rejected (its item never moved)."""
    flask_migrate.upgrade(revision="0004")
    now, yes, no = "2026-11-20 02:00:00", True, False
    with db.engine.begin() as conn:
        run = conn.execute
        run(
            sa.text(
                "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
                "VALUES (1, 'buuta', 'x', 'Lê Văn Bưu', 'postman', :yes, :now)"
            ),
            {"yes": yes, "now": now},
        )
        run(
            sa.text(
                "INSERT INTO agencies (id, code, name, kind, province, active, created_at) "
                "VALUES (1, 'A1', 'UBND xã', 'commune_centre', 'An Giang', :yes, :now)"
            ),
            {"yes": yes, "now": now},
        )
        run(
            sa.text(
                "INSERT INTO procedures (id, code, name, allowed_by_post, government_fee, checklist, change_seq, "
                "created_at) VALUES (1, 'P1', 'Khai sinh', :yes, 0, '[]', 0, :now)"
            ),
            {"yes": yes, "now": now},
        )
        for item_id, attempts, status in ((1, 2, "failed_attempt"), (2, 0, "assigned")):
            run(
                sa.text(
                    "INSERT INTO items (id, code, direction, procedure_id, agency_id, recipient_name, address_line, "
                    "commune, province, service_fee, government_fee, attempt_count, status, search_text, "
                    "change_seq, version, created_at, updated_at) VALUES (:id, :code, 'return', 1, 1, 'Bích', "
                    "'Ấp 1', 'Xã Mong Thọ', 'An Giang', 0, 0, :attempts, :status, '', 0, 1, :now, :now)"
                ),
                {
                    "id": item_id,
                    "code": f"RR10000000{item_id}VN",
                    "attempts": attempts,
                    "status": status,
                    "now": now,
                },
            )
        proofs = [
            (1, 1, "failed", "2026-11-18 02:00:00", no, None),
            (2, 1, "failed", "2026-11-20 02:00:00", no, None),
            (3, 2, "delivered", now, yes, now),
            (4, 2, "delivered", now, yes, None),
        ]
        for pid, item_id, outcome, at, flagged, resolved in proofs:
            run(
                sa.text(
                    "INSERT INTO delivery_attempts (id, item_id, postman_id, outcome, server_time, device_time, "
                    "fee_collected, government_fee_collected, flagged, complete, resolved_at) VALUES (:id, :item, "
                    "1, :outcome, :at, :at, 0, 0, :flagged, :yes, :resolved)"
                ),
                {
                    "id": pid,
                    "item": item_id,
                    "outcome": outcome,
                    "at": at,
                    "flagged": flagged,
                    "yes": yes,
                    "resolved": resolved,
                },
            )

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        items = conn.execute(
            sa.text("SELECT id, invitation_count, last_invitation_on FROM items ORDER BY id")
        ).all()
        proofs = conn.execute(
            sa.text("SELECT id, review, counts_as_invitation FROM delivery_attempts ORDER BY id")
        ).all()
    assert [(i, n, str(day) if day else None) for i, n, day in items] == [(1, 2, "2026-11-20"), (2, 0, None)]
    assert [(p, review, None if c is None else bool(c)) for p, review, c in proofs] == [
        (1, None, True),
        (2, None, True),
        (3, "rejected", None),
        (4, None, None),
    ]


def test_login_sessions_are_carried_over_from_existing_refresh_token_families(empty_app):
    """Phones signed in before the upgrade stay signed in; a family already revoked stays revoked."""
    flask_migrate.upgrade(revision="0004")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
                "VALUES (1, 'buuta', 'x', 'Bưu tá', 'postman', TRUE, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO devices (id, user_id, registered_at, last_seq) "
                "VALUES ('phone-mig-1', 1, CURRENT_TIMESTAMP, 0)"
            )
        )
        rows = [
            ("t1", "alive", "phone-mig-1", None),
            ("t2", "alive", "phone-mig-1", "2026-11-26 08:00:00+00"),
            ("t3", "dead", None, "2026-11-26 09:00:00+00"),
            ("t4", "dead", None, "2026-11-26 09:30:00+00"),
        ]
        for token_id, family, device, revoked in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, issued_at, expires_at, "
                    "revoked_at) VALUES (:id, :family, 1, :device, :hash, '2026-11-26 07:00:00+00', "
                    "'2026-12-26 07:00:00+00', :revoked)"
                ),
                {
                    "id": token_id,
                    "family": family,
                    "device": device,
                    "hash": token_id * 16,
                    "revoked": revoked,
                },
            )
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        sessions = {
            row.id: row
            for row in conn.execute(sa.text("SELECT id, user_id, device_id, revoked_at FROM login_sessions"))
        }
    assert set(sessions) == {"alive", "dead"}
    assert sessions["alive"].revoked_at is None and sessions["alive"].device_id == "phone-mig-1"
    assert sessions["dead"].revoked_at is not None and sessions["dead"].user_id == 1


def test_the_growth_indexes_are_built_over_existing_proofs_and_ledger_rows(empty_app):
    """A deployment with proofs and ledger rows upgrades to the growth indexes with every row kept;
    the dashboard's look-ups by round and by phone-and-day then use them, and a downgrade drops them."""
    flask_migrate.upgrade(revision="0008_background_jobs")
    rows = [
        "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
        "VALUES (1, 'buuta', 'x', 'Bưu tá', 'postman', TRUE, CURRENT_TIMESTAMP)",
        "INSERT INTO devices (id, user_id, registered_at, last_seq) VALUES ('phone-g', 1, CURRENT_TIMESTAMP, 1)",
        "INSERT INTO agencies (id, code, name, kind, province, active, created_at) "
        "VALUES (1, 'PVHCC', 'Trung tâm', 'commune_centre', 'An Giang', TRUE, CURRENT_TIMESTAMP)",
        "INSERT INTO procedures (id, code, name, allowed_by_post, government_fee, checklist, change_seq, created_at)"
        " VALUES (1, '1.001193', 'Khai sinh', TRUE, 0, '[]', 0, CURRENT_TIMESTAMP)",
        "INSERT INTO rounds (id, postman_id, round_date, status, change_seq, created_at, updated_at) "
        "VALUES (1, 1, '2026-11-30', 'closed', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO items (id, code, direction, procedure_id, agency_id, recipient_name, address_line, commune, "
        "province, service_fee, government_fee, attempt_count, invitation_count, status, round_id, stop_order, "
        "search_text, change_seq, version, created_at, updated_at) VALUES (1, 'RR123456785VN', 'return', 1, 1, "
        "'Trần Thị Bích', 'Ấp Minh An', 'Xã Châu Thành', 'An Giang', 26000, 0, 0, 0, 'delivered', 1, 1, '', 0, 2, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO delivery_attempts (id, client_mutation_id, item_id, postman_id, device_id, round_id, outcome, "
        "server_time, fee_collected, government_fee_collected, flagged, complete) VALUES (1, 'm1', 1, 1, "
        "'phone-g', 1, 'delivered', CURRENT_TIMESTAMP, 26000, 0, FALSE, TRUE)",
        "INSERT INTO sync_mutations (id, device_id, device_seq, user_id, type, item_id, outcome, result, payload, "
        "received_at) VALUES ('m1', 'phone-g', 1, 1, 'deliver', 1, 'applied', '{}', '{}', CURRENT_TIMESTAMP)",
    ]
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(sa.text(row))

    flask_migrate.upgrade()

    inspector = sa.inspect(db.engine)
    assert {"ix_delivery_attempts_round_id"} <= {
        i["name"] for i in inspector.get_indexes("delivery_attempts")
    }
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("sync_mutations")}
    assert indexes["ix_sync_mutations_device_received"] == ["device_id", "received_at"]
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT round_id, outcome FROM delivery_attempts")).all() == [
            (1, "delivered")
        ]
        assert conn.execute(sa.text("SELECT id, device_id FROM sync_mutations")).all() == [("m1", "phone-g")]

    flask_migrate.downgrade(revision="0008_background_jobs")
    inspector = sa.inspect(db.engine)
    assert "ix_delivery_attempts_round_id" not in {
        i["name"] for i in inspector.get_indexes("delivery_attempts")
    }
    assert "ix_sync_mutations_device_received" not in {
        i["name"] for i in inspector.get_indexes("sync_mutations")
    }
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM delivery_attempts")).scalar() == 1
