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

from backend.extensions import db
from tests.security.migrating import app_on, empty_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    """The app bound to a brand-new, empty database."""
    with empty_database(request.param, tmp_path, "postround_mig") as url:
        yield from _app_on(url, tmp_path)


def _app_on(url: str, tmp_path):
    app = app_on(url, tmp_path)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _scalar(sql: str):
    """The one value a query answers, on a connection of its own (outside the session)."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def _write(sql: str, **params) -> None:
    """Run one statement and commit it."""
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _rows(sql: str) -> list:
    """Every row a query answers, on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


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


def _insert_user(conn, role: str = "postman") -> None:
    """User 1, of any schema revision since 0001."""
    conn.execute(
        sa.text(
            "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
            "VALUES (1, 'nguoi1', 'x', 'Người Một', :role, TRUE, CURRENT_TIMESTAMP)"
        ),
        {"role": role},
    )


def _insert_postman_agency_procedure(conn, now: str, procedure_seq: int = 0) -> None:
    """User 1 (a postman), agency 1 and procedure 1, as rows of the schema at revision 0004."""
    conn.execute(
        sa.text(
            "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
            "VALUES (1, 'buuta', 'x', 'Lê Văn Bưu', 'postman', :yes, :now)"
        ),
        {"yes": True, "now": now},
    )
    conn.execute(
        sa.text(
            "INSERT INTO agencies (id, code, name, kind, province, active, created_at) "
            "VALUES (1, 'A1', 'UBND xã', 'commune_centre', 'An Giang', :yes, :now)"
        ),
        {"yes": True, "now": now},
    )
    conn.execute(
        sa.text(
            "INSERT INTO procedures (id, code, name, allowed_by_post, government_fee, checklist, change_seq, "
            "created_at) VALUES (1, 'P1', 'Khai sinh', :yes, 0, '[]', :seq, :now)"
        ),
        {"yes": True, "now": now, "seq": procedure_seq},
    )


def _written_at(revision: str, *rows: str, now: str = "2026-11-30 03:00:00") -> None:
    """Upgrade to `revision` and write there user 1, agency 1 and procedure 1, then each of `rows`
    (an INSERT that may use :now)."""
    flask_migrate.upgrade(revision=revision)
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
        for sql in rows:
            conn.execute(sa.text(sql), {"now": now})


def _insert_item(
    conn, now: str, item_id: int, status: str, attempts: int = 0, seq: int = 0, round_id: int | None = None
) -> None:
    """Item `item_id` of agency 1 and procedure 1, as a row of the schema at revision 0004."""
    conn.execute(
        sa.text(
            "INSERT INTO items (id, code, direction, procedure_id, agency_id, recipient_name, address_line, "
            "commune, province, service_fee, government_fee, attempt_count, status, search_text, round_id, "
            "stop_order, change_seq, version, created_at, updated_at) VALUES (:id, :code, 'return', 1, 1, "
            "'Bích', 'Ấp 1', 'Xã Mong Thọ', 'An Giang', 0, 0, :attempts, :status, '', :round, :stop, :seq, 1, "
            ":now, :now)"
        ),
        {
            "id": item_id,
            "code": f"RR10000000{item_id}VN",
            "attempts": attempts,
            "status": status,
            "round": round_id,
            "stop": item_id if round_id else None,
            "seq": seq,
            "now": now,
        },
    )


def test_the_reattempt_migration_carries_failed_visits_and_resolved_proofs_over(empty_app):
    """Failed visits made before the regulation was tracked count as invitations; a flagged proof
    that was "resolved" is recorded as rejected (its item never moved)."""
    flask_migrate.upgrade(revision="0004")
    now, yes, no = "2026-11-20 02:00:00", True, False
    with db.engine.begin() as conn:
        run = conn.execute
        _insert_postman_agency_procedure(conn, now)
        for item_id, attempts, status in ((1, 2, "failed_attempt"), (2, 0, "assigned")):
            _insert_item(conn, now, item_id, status=status, attempts=attempts)
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
        _insert_user(conn)
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


def test_an_existing_single_office_database_becomes_one_commune_office_of_a_province(empty_app):
    """Before 0009 the deployment was one post office at POST_OFFICE_LAT/LON. After it, that office is a
    commune office under a province unit: its supervisors and postmen belong to it, it serves every
    agency, and every item, round and handover record carries it. Admins keep seeing everything."""
    flask_migrate.upgrade(revision="0008_background_jobs")
    now = "2026-11-20 02:00:00"
    with db.engine.begin() as conn:
        run = conn.execute
        for user_id, role in ((1, "admin"), (2, "supervisor"), (3, "postman"), (4, "agency")):
            run(
                sa.text(
                    "INSERT INTO users (id, username, password_hash, full_name, role, active, created_at) "
                    "VALUES (:id, :name, 'x', :name, :role, TRUE, :now)"
                ),
                {"id": user_id, "name": f"{role}-{user_id}", "role": role, "now": now},
            )
        for agency_id in (1, 2):
            run(
                sa.text(
                    "INSERT INTO agencies (id, code, name, kind, province, active, created_at) "
                    "VALUES (:id, :code, 'UBND xã', 'commune_centre', 'Cần Thơ', TRUE, :now)"
                ),
                {"id": agency_id, "code": f"A{agency_id}", "now": now},
            )
        run(
            sa.text(
                "INSERT INTO procedures (id, code, name, allowed_by_post, government_fee, checklist, change_seq, "
                "created_at) VALUES (1, 'P1', 'Khai sinh', TRUE, 0, '[]', 0, :now)"
            ),
            {"now": now},
        )
        run(
            sa.text(
                "INSERT INTO rounds (id, postman_id, round_date, status, change_seq, created_at, updated_at) "
                "VALUES (1, 3, '2026-11-20', 'planned', 0, :now, :now)"
            ),
            {"now": now},
        )
        run(
            sa.text(
                "INSERT INTO items (id, code, direction, procedure_id, agency_id, recipient_name, address_line, "
                "commune, province, service_fee, government_fee, attempt_count, invitation_count, status, "
                "search_text, change_seq, version, created_at, updated_at, round_id) VALUES (1, 'RR100000001VN', "
                "'return', 1, 2, 'Bích', 'Ấp 1', 'Xã Mong Thọ', 'Cần Thơ', 0, 0, 0, 0, 'assigned', '', 0, 1, "
                ":now, :now, 1)"
            ),
            {"now": now},
        )
        run(
            sa.text(
                "INSERT INTO handovers (id, direction, agency_id, created_at) VALUES (1, 'agency_to_post', 2, :now)"
            ),
            {"now": now},
        )

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        offices = conn.execute(
            sa.text("SELECT id, code, name, kind, parent_id, lat, lon FROM post_offices ORDER BY id")
        ).all()
        members = conn.execute(sa.text("SELECT user_id, office_id FROM user_offices ORDER BY user_id")).all()
        served = (
            conn.execute(sa.text("SELECT agency_id FROM office_agencies ORDER BY agency_id")).scalars().all()
        )
        stamped = {
            table: conn.execute(sa.text(f"SELECT office_id FROM {table}")).scalars().all()
            for table in ("items", "rounds", "handovers")
        }
    province, commune = offices
    assert (province.kind, province.parent_id, province.name) == ("province", None, "Bưu điện tỉnh Cần Thơ")
    assert (commune.kind, commune.parent_id) == ("commune", province.id)
    config = current_app.config
    assert (commune.lat, commune.lon) == (config["POST_OFFICE_LAT"], config["POST_OFFICE_LON"])
    assert members == [(2, commune.id), (3, commune.id)]  # the supervisor and the postman, not the admin
    assert served == [1, 2]
    assert stamped == {"items": [commune.id], "rounds": [commune.id], "handovers": [commune.id]}


def test_a_new_database_gets_no_office_until_one_is_created(empty_app):
    flask_migrate.upgrade()
    assert _scalar("SELECT COUNT(*) FROM post_offices") == 0


def test_the_commit_log_migration_keeps_the_cursors_phones_hold(empty_app):
    """A phone that pulled up to sequence 5 before the upgrade gets, after it, exactly what changed
    after 5 (and the removal numbered 6); the next change is numbered after everything before."""
    from backend.models import CommitLog, Item
    from backend.timeutil import local_today
    from sync.changes import current_seq
    from sync.protocol import Cursor
    from sync.pull import pull

    flask_migrate.upgrade(revision="0004")
    today, now = local_today(), "2026-11-20 02:00:00"
    with db.engine.begin() as conn:
        run = conn.execute
        _insert_postman_agency_procedure(conn, now, procedure_seq=2)
        run(
            sa.text(
                "INSERT INTO rounds (id, postman_id, round_date, status, change_seq, created_at, updated_at) "
                "VALUES (1, 1, :today, 'planned', 7, :now, :now)"
            ),
            {"today": today, "now": now},
        )
        for item_id, seq, round_id in ((1, 3, 1), (2, 5, 1), (3, 8, 1), (4, 4, None)):
            _insert_item(conn, now, item_id, status="assigned", seq=seq, round_id=round_id)
        run(
            sa.text(
                "INSERT INTO sync_scope_removals (seq, postman_id, item_id, reason, at) "
                "VALUES (6, 1, 4, 'reassigned', :now)"
            ),
            {"now": now},
        )
        run(sa.text("UPDATE sync_clock SET seq = 8"))

    flask_migrate.upgrade()

    rows = db.session.execute(sa.select(CommitLog.id, CommitLog.seq).order_by(CommitLog.id)).all()
    assert [tuple(r) for r in rows] == [(n, n) for n in (2, 3, 4, 5, 6, 7, 8)]
    assert current_seq(db.session) == 8
    page = pull(db.session, 1, 0, Cursor(from_seq=5, scope_day=today), today)
    assert [i["id"] for i in page["items"]] == [3]
    assert [r["id"] for r in page["rounds"]] == [1]
    assert page["removed"] == [4]
    assert pull(db.session, 1, 0, Cursor(from_seq=8, scope_day=today), today)["items"] == []

    db.session.get(Item, 1).note = "Gọi trước"
    db.session.commit()
    ticket = db.session.get(Item, 1).change_ticket
    assert ticket > 8 and db.session.get(CommitLog, ticket).seq == current_seq(db.session) == 9
    assert [i["id"] for i in pull(db.session, 1, 0, Cursor(from_seq=8, scope_day=today), today)["items"]] == [
        1
    ]


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
    assert _scalar("SELECT count(*) FROM delivery_attempts") == 1


def _a_fee_collected_at_0004() -> None:
    """The database at 0004 with one delivered item whose postman took 26.000 ₫ + 5.000 ₫ on 30 Nov
    (10:00 in Vietnam), receipt BL-1."""
    flask_migrate.upgrade(revision="0004")  # rows as the helpers write them, carried up to the head
    now = "2026-11-30 03:00:00"
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
        _insert_item(conn, now, 1, status="delivered")
        conn.execute(
            sa.text(
                "INSERT INTO fee_entries (id, client_mutation_id, item_id, postman_id, service_fee, "
                "government_fee, receipt_number, server_time) VALUES (1, 'm1', 1, 1, 26000, 5000, 'BL-1', :now)"
            ),
            {"now": now},
        )


def test_fees_collected_before_vietqr_are_carried_over_as_cash(empty_app):
    """Every fee a postman took before the payment method existed was cash: after the upgrade each
    kind reads 'cash', a new transfer is kept as such, and a downgrade keeps the amounts."""
    from backend.models import FeeEntry

    _a_fee_collected_at_0004()

    flask_migrate.upgrade()

    entry = db.session.get(FeeEntry, 1)
    assert (entry.service_fee, entry.government_fee, entry.receipt_number) == (26000, 5000, "BL-1")
    assert (entry.service_fee_payment, entry.government_fee_payment) == ("cash", "cash")
    db.session.add(FeeEntry(id=2, item_id=1, postman_id=1, service_fee=26000, service_fee_payment="transfer"))
    db.session.commit()
    with db.engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT service_fee_payment, government_fee_payment FROM fee_entries ORDER BY id")
        ).all() == [("cash", "cash"), ("transfer", "cash")]
    db.session.remove()

    flask_migrate.downgrade(revision="0011_growth_indexes")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("fee_entries")}
    assert "service_fee_payment" not in columns and "government_fee_payment" not in columns
    assert _scalar("SELECT sum(service_fee) FROM fee_entries") == 52000


def test_cash_collected_before_cash_handovers_existed_reads_as_outstanding_after_the_upgrade(empty_app):
    """Before 0016 nothing recorded cash handed to the office: the upgrade adds no handover, so the
    cash already collected is outstanding (the documented assumption) until one is recorded; the
    downgrade drops the records and keeps the fees."""
    from datetime import date

    from backend.services import cash

    _a_fee_collected_at_0004()

    flask_migrate.upgrade()

    assert _scalar("SELECT count(*) FROM cash_handovers") == 0
    assert cash.held(1, date(2026, 11, 30)) == (26_000, 5_000)
    db.session.remove()

    flask_migrate.downgrade(revision="0015_report_indexes")
    assert "cash_handovers" not in _table_names()
    assert _scalar("SELECT sum(service_fee) FROM fee_entries") == 26_000


def _two_items_at_0004() -> None:
    """A postman, an agency, a procedure and items 1 and 2 at the post office, written at 0004."""
    flask_migrate.upgrade(revision="0004")
    now = "2026-11-30 03:00:00"
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
        for item_id in (1, 2):
            _insert_item(conn, now, item_id, status="at_post_office")


def test_items_written_before_the_search_box_are_found_like_new_ones(empty_app):
    """Rows from before 0013 (an empty or stale search text, a spaced phone) are refolded: a search
    without diacritics or by the phone's digits finds them; the item page's audit index is built,
    and a downgrade drops only the index."""
    _two_items_at_0004()  # rows as the helpers write them, then carried up to 0012
    flask_migrate.upgrade(revision="0012_payment_method")
    _write(
        "UPDATE items SET recipient_name = 'Nguyễn Văn Bình', recipient_phone = '0912 345 678', "
        "search_text = 'bich' WHERE id = 1"
    )

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        texts = dict(conn.execute(sa.text("SELECT id, search_text FROM items ORDER BY id")).all())
    assert texts[1] == "rr100000001vn nguyen van binh 0912 345 678 ap 1 xa mong tho an giang 0912345678"
    assert texts[2] == "rr100000002vn bich ap 1 xa mong tho an giang"
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(db.engine).get_indexes("audit_log")}
    assert indexes["ix_audit_log_entity"] == ["entity_type", "entity_id"]

    flask_migrate.downgrade(revision="0012_payment_method")
    assert "ix_audit_log_entity" not in {i["name"] for i in sa.inspect(db.engine).get_indexes("audit_log")}
    assert _scalar("SELECT search_text FROM items WHERE id = 2") == texts[2]


def test_import_jobs_are_carried_over_and_export_jobs_keep_their_file(empty_app):
    """A deployment with import jobs upgrades to export jobs: every job kept, with no file; an export's
    file is then kept with its job, and a downgrade drops only the files."""
    from backend.models import BackgroundJob

    flask_migrate.upgrade(revision="0012_payment_method")
    an_import = sa.text(
        "INSERT INTO background_jobs (id, kind, status, created_at, enqueued_at, attempts, params, "
        "rows_total, rows_checked, rows_imported) VALUES ('00000000-0000-4000-8000-000000000001', "
        "'import-items', 'succeeded', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, '{\"file\": \"a.csv\"}', 40, 40, 40)"
    )
    with db.engine.begin() as conn:
        conn.execute(an_import)

    flask_migrate.upgrade()

    old = db.session.get(BackgroundJob, "00000000-0000-4000-8000-000000000001")
    assert (old.kind, old.rows_imported, old.params, old.output) == (
        "import-items",
        40,
        {"file": "a.csv"},
        None,
    )
    db.session.add(
        BackgroundJob(
            id="00000000-0000-4000-8000-000000000002", kind="export-report", output=b"\xef\xbb\xbfK"
        )
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(BackgroundJob, "00000000-0000-4000-8000-000000000002").output == b"\xef\xbb\xbfK"
    db.session.remove()

    flask_migrate.downgrade(revision="0012_payment_method")
    assert "output" not in {c["name"] for c in sa.inspect(db.engine).get_columns("background_jobs")}
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT kind FROM background_jobs ORDER BY id")).scalars().all() == [
            "import-items",
            "export-report",
        ]


def test_the_report_index_is_built_over_existing_items_and_dropped_on_downgrade(empty_app):
    """A deployment with items upgrades to the report index with every item kept: the index holds what
    a report needs of each proof's item (its office, agency, procedure, due date) beside its id."""
    flask_migrate.upgrade(revision="0004")  # rows as the helpers write them, carried up to the head
    now = "2026-11-30 03:00:00"
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
        _insert_item(conn, now, 1, status="delivered")

    flask_migrate.upgrade()

    indexes = {i["name"]: i["column_names"] for i in sa.inspect(db.engine).get_indexes("items")}
    assert indexes["ix_items_report"] == ["id", "office_id", "agency_id", "procedure_id", "due_date"]
    assert _rows("SELECT id, status FROM items") == [(1, "delivered")]

    flask_migrate.downgrade(revision="0014_export_jobs")
    assert "ix_items_report" not in {i["name"] for i in sa.inspect(db.engine).get_indexes("items")}
    assert _scalar("SELECT count(*) FROM items") == 1


def test_agencies_from_before_their_bank_account_keep_their_rows_and_have_none(empty_app):
    """0017: agencies gain the VietQR payee of the government fee; an agency already there keeps
    every field and has no account (the phone then takes that fee in cash) until an admin sets one;
    a downgrade drops only the account."""
    from backend.models import Agency

    flask_migrate.upgrade(revision="0004")
    now = "2026-11-30 03:00:00"
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
    flask_migrate.upgrade(revision="0016_cash_handover")

    flask_migrate.upgrade()

    agency = db.session.get(Agency, 1)
    assert (agency.code, agency.name, agency.province) == ("A1", "UBND xã", "An Giang")
    assert (agency.bank_bin, agency.bank_account, agency.bank_account_name) == (None, None, None)
    agency.bank_bin, agency.bank_account, agency.bank_account_name = "970415", "113366668888", "UBND XA"
    db.session.commit()
    db.session.remove()

    flask_migrate.downgrade(revision="0016_cash_handover")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("agencies")}
    assert not columns & {"bank_bin", "bank_account", "bank_account_name"}
    assert _rows("SELECT code, name FROM agencies") == [("A1", "UBND xã")]


def test_logins_ended_before_the_reason_was_recorded_say_revoked(empty_app):
    """0018: a login already ended gets the reason 'revoked' (unknown then); a live one none."""
    flask_migrate.upgrade(revision="0017_agency_bank_account")
    with db.engine.begin() as conn:
        _insert_user(conn, "supervisor")
        for session_id, revoked in (("live", None), ("ended", "2026-11-30 09:00:00+00")):
            conn.execute(
                sa.text(
                    "INSERT INTO login_sessions (id, user_id, created_at, revoked_at) "
                    "VALUES (:id, 1, '2026-11-30 07:00:00+00', :revoked)"
                ),
                {"id": session_id, "revoked": revoked},
            )
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        reasons = dict(conn.execute(sa.text("SELECT id, end_reason FROM login_sessions")).all())
    assert reasons == {"live": None, "ended": "revoked"}


def test_rounds_planned_before_versions_start_at_version_one(empty_app):
    """A round already planned when plan versions arrive is version 1: a supervisor's first change
    with If-Match "1" goes through, and a downgrade keeps the round."""
    _written_at(
        "0018_session_end_reason",
        "INSERT INTO rounds (id, postman_id, round_date, status, created_at, updated_at, change_seq) "
        "VALUES (7, 1, '2026-11-30', 'planned', :now, :now, 0)",
    )

    flask_migrate.upgrade()

    assert _rows("SELECT id, version FROM rounds") == [(7, 1)]
    db.session.remove()
    flask_migrate.downgrade(revision="0018_session_end_reason")
    assert "version" not in {c["name"] for c in sa.inspect(db.engine).get_columns("rounds")}
    assert _scalar("SELECT count(*) FROM rounds") == 1


def test_handover_records_from_before_their_evidence_keep_their_seal_in_the_note(empty_app):
    """0020: a record already there gets no seal number and no files (the server did not keep them);
    a seal a phone wrote into the note stays in the note. A downgrade keeps the record."""
    _written_at(
        "0019_round_version",
        "INSERT INTO handovers (id, direction, agency_id, officer_name, note, created_at) "
        "VALUES (4, 'post_to_agency', 1, 'Trần Văn Bảy', 'Số niêm phong: NP-7', :now)",
        now="2026-12-01 03:00:00",
    )

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, note, seal_number FROM handovers")).all()
        linked = conn.execute(sa.text("SELECT count(*) FROM handover_attachments")).scalar()
    assert (rows, linked) == ([(4, "Số niêm phong: NP-7", None)], 0)
    db.session.remove()
    flask_migrate.downgrade(revision="0019_round_version")
    assert "seal_number" not in {c["name"] for c in sa.inspect(db.engine).get_columns("handovers")}
    assert "handover_attachments" not in sa.inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT note FROM handovers")).scalars().all() == ["Số niêm phong: NP-7"]


def _catalog_indexes(table: str) -> set[str]:
    """The table's index names from the database's own catalog (SQLite's inspector skips expression
    indexes)."""
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
        if db.engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = :table"
    )
    with db.engine.connect() as conn:
        return set(conn.execute(sa.text(query), {"table": table}).scalars())


def test_fees_collected_before_the_taken_index_keep_their_rows_and_are_found_by_it(empty_app):
    """0021: an expression index on when a fee's money changed hands, over the fees already there;
    a day's cash read by it finds them; a downgrade drops only the index."""
    from datetime import date

    from backend.services import cash

    _a_fee_collected_at_0004()

    flask_migrate.upgrade()

    assert "ix_fee_entries_taken" in _catalog_indexes("fee_entries")
    assert cash.held(1, date(2026, 11, 30)) == (26_000, 5_000)
    db.session.remove()

    flask_migrate.downgrade(revision="0020_handover_evidence")
    assert "ix_fee_entries_taken" not in _catalog_indexes("fee_entries")
    assert _scalar("SELECT sum(service_fee) FROM fee_entries") == 26_000


def test_items_from_before_the_trigram_index_are_found_through_it(empty_app):
    """0022: the search text's index over the items already there (a pg_trgm GIN index on PostgreSQL,
    which the planner uses for a word's LIKE); a search finds them; a downgrade drops only the index."""
    from backend.services.items import search_filter

    _two_items_at_0004()
    flask_migrate.upgrade(revision="0021_fee_taken_index")
    _write("UPDATE items SET recipient_name = 'Nguyễn Văn Bình' WHERE id = 1")

    flask_migrate.upgrade()

    assert "ix_items_search_trgm" in _catalog_indexes("items")
    from backend.models import Item

    db.session.execute(sa.text("UPDATE items SET search_text = 'rr100000001vn nguyen van binh' WHERE id = 1"))
    found = db.session.execute(search_filter(sa.select(Item.id), "binh")).scalars().all()
    assert found == [1]
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            definition = conn.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_search_trgm'")
            ).scalar()
            conn.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(
                conn.execute(
                    sa.text("EXPLAIN SELECT id FROM items WHERE search_text LIKE '%binh%'")
                ).scalars()
            )
        assert "USING gin (search_text gin_trgm_ops)" in definition
        assert "ix_items_search_trgm" in plan
    db.session.rollback()
    db.session.remove()

    flask_migrate.downgrade(revision="0021_fee_taken_index")
    assert "ix_items_search_trgm" not in _catalog_indexes("items")
    assert _scalar("SELECT count(*) FROM items") == 2


def test_webhook_secrets_kept_in_clear_are_sealed_and_still_sign(empty_app):
    """0029: an endpoint registered before the secrets were sealed keeps signing with the same
    secret, which the database no longer shows; a downgrade opens it again."""
    from backend.models import WebhookEndpoint
    from backend.services.webhooks import new_secret, secret_of

    flask_migrate.upgrade(revision="0004")
    now = "2026-11-30 03:00:00"
    secret = new_secret()
    with db.engine.begin() as conn:
        _insert_postman_agency_procedure(conn, now)
    flask_migrate.upgrade(revision="0028_agency_handovers")
    _write(
        "INSERT INTO webhook_endpoints (id, agency_id, url, secret, events, active, created_at) "
        "VALUES (1, 1, 'https://mot-cua.example/hooks', :secret, '[\"item.delivered\"]', :yes, :now)",
        secret=secret,
        yes=True,
        now=now,
    )

    flask_migrate.upgrade()

    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret_sealed FROM webhook_endpoints")).scalar_one()
    assert (
        stored.startswith("fernet:") and secret not in stored and secret.removeprefix("whsec_") not in stored
    )
    assert secret_of(db.session.get_one(WebhookEndpoint, 1)) == secret
    db.session.remove()

    flask_migrate.downgrade(revision="0028_agency_handovers")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT secret FROM webhook_endpoints")).scalar_one() == secret
