"""No ID number in clear anywhere: a day of work through the real API and the test phone, then
every column of every table, the server's log output and every stored file are searched for the
ID numbers the phone sent. Only the masked last three digits may appear."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import DeliveryAttempt
from tests.kit.images import jpeg_bytes, png_signature
from tests.kit.phone import Phone
from tests.security.migrating import migrated_app

# Distinctive numbers: their first digits appear nowhere else by chance.
DELIVERED = "079301005678"
STAND_IN = "045207719326"
IN_A_NOTE = "091188204417"
FOREIGN = "036611942205"
INVALID = "0582 7731 9940"  # spaces: refused by the schema, still never stored in clear
AS_A_NUMBER = 58277319941  # the wrong JSON type
NUMBERS = [DELIVERED, STAND_IN, IN_A_NOTE, FOREIGN, INVALID.replace(" ", ""), str(AS_A_NUMBER)]


def _leaves(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner)
    elif value is not None:
        yield str(value)


def _dump_database() -> list[str]:
    """Every value of every column of every table, as text (JSON columns leaf by leaf)."""
    values = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str) and value[:1] in "[{":
                        with contextlib.suppress(ValueError):
                            value = json.loads(value)
                    values.extend(f"{table.name}.{column}={leaf}" for leaf in _leaves(value))
    return values


def _assert_no_id_number(texts: list[str], where: str) -> None:
    for number in NUMBERS:
        hidden = number[:-3]  # the digits beyond the masked last three
        for text in texts:
            digits = re.sub(r"\D", "", text.split("=", 1)[-1])
            assert hidden not in text and hidden not in digits, f"{where}: {number} in {text[:300]!r}"


def _a_day_of_work(client, make, auth) -> None:
    supervisor = make.user("supervisor")
    postman = make.user("postman")
    agency = make.agency()
    returns = [make.item(agency_id=agency.id) for _ in range(4)]
    dossier = make.item(agency_id=agency.id, direction="collect", status="registered")
    stranger = make.item()
    make.round(postman, items=[*returns, dossier])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(returns[0].id, seed=1, id_number=DELIVERED)
    phone.capture(
        "deliver",
        returns[1].id,
        {
            "receiver_name": "Lê Văn Tám",
            "receiver_relation": "authorised",
            "id_number": STAND_IN,
            "note": f"Người nhận thay, CCCD {STAND_IN}",
            "fee_collected": 26_000,
        },
        {
            "signature": png_signature(2),
            "photo": jpeg_bytes(2),
            "authorisation_letter": jpeg_bytes(3),
            "id_photo": jpeg_bytes(4),
        },
    )
    phone.deliver(returns[2].id, seed=5, id_number=IN_A_NOTE, note=f"Đã kiểm tra CCCD số {IN_A_NOTE}")
    phone.deliver(stranger.id, seed=6, id_number=FOREIGN)  # rejected: not theirs
    phone.deliver(returns[3].id, seed=7, id_number=INVALID)  # rejected: malformed
    phone.deliver(returns[3].id, seed=8, id_number=AS_A_NUMBER)  # rejected: wrong type
    phone.fail(returns[3].id, note="Không có nhà")
    phone.capture(
        "collect",
        dossier.id,
        {
            "checklist": [{"name": "Tờ khai", "form": "original", "present": True}],
            "seal_number": "NP-77",
            "fee_collected": 26_000,
        },
        {"signature": png_signature(9), "postman_signature": png_signature(10)},
    )
    phone.capture("fee", returns[0].id, {"government_fee": 50_000, "receipt_number": "BL-50"})
    phone.upload_files()
    sent = list(phone.outbox)
    first = phone.push()
    assert [r["outcome"] for r in first["results"]] == [
        "applied",
        "applied",
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "applied",
        "applied",
        "applied",
    ]
    for answer in first["results"]:  # what goes back to the phone is scrubbed too
        _assert_no_id_number([json.dumps(answer)], "push answer")
    phone.outbox = sent  # the answer was "lost": the same batch again
    again = phone.push()
    assert {r["outcome"] for r in again["results"]} == {"duplicate"}
    phone.hand_over(agency.id, [dossier.id])
    phone.sync()

    headers = auth(supervisor)
    proofs = client.get("/api/proofs", headers=headers).get_json()
    assert len(proofs) == 5
    for proof in proofs:
        full = client.get(f"/api/proofs/{proof['id']}", headers=headers)
        _assert_no_id_number([full.get_data(as_text=True)], "proof view")
        for attachment in full.get_json()["attachments"]:
            assert client.get(f"/api/attachments/{attachment['sha256']}", headers=headers).status_code == 200
    for url in (
        "/api/dashboard/today",
        "/api/dashboard/exceptions",
        "/api/dashboard/map",
        "/api/handovers",
        "/api/sync/devices",
        "/api/sync/reconciliation",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        _assert_no_id_number([response.get_data(as_text=True)], url)


def test_after_a_day_of_work_no_id_number_is_anywhere(client, app, make, auth, caplog):
    caplog.set_level(logging.DEBUG)
    _a_day_of_work(client, make, auth)

    with app.app_context():
        dump = _dump_database()
        assert any("delivery_attempts.id_number_masked=*********678" in v for v in dump)  # the dump is real
        assert any(v.startswith("sync_mutations.payload=") for v in dump)
        _assert_no_id_number(dump, "database")
        attempt = db.session.execute(
            db.select(DeliveryAttempt).where(DeliveryAttempt.id_number_masked == "*********678")
        ).scalar_one()
        own_key = hmac.new(app.config["ID_HASH_KEY"].encode(), DELIVERED.encode(), hashlib.sha256).hexdigest()
        token_key = hmac.new(
            app.config["SECRET_KEY"].encode(), DELIVERED.encode(), hashlib.sha256
        ).hexdigest()
        assert attempt.id_number_hash == own_key != token_key
        assert attempt.id_number_hash_key == app.config["ID_HASH_KEY_ID"]
    _assert_no_id_number([record.getMessage() for record in caplog.records] + [caplog.text], "server log")
    storage = Path(app.config["STORAGE_DIR"])
    files = [p for p in storage.rglob("*") if p.is_file()]
    assert files  # the photos and signatures are there
    for path in files:
        content = path.read_bytes()
        for number in NUMBERS:
            assert number[:-3].encode() not in content, path


def test_the_hash_key_is_a_setting_of_its_own(tmp_path):
    from backend.config import ConfigError, load_config

    secret = "s" * 40
    with pytest.raises(ConfigError, match="ID_HASH_KEY is required in production"):
        load_config(str(tmp_path), {"SECRET_KEY": secret})
    with pytest.raises(ConfigError, match="must differ from SECRET_KEY"):
        load_config(str(tmp_path), {"SECRET_KEY": secret, "ID_HASH_KEY": secret})
    with pytest.raises(ConfigError, match="at least 32"):
        load_config(str(tmp_path), {"SECRET_KEY": secret, "ID_HASH_KEY": "short"})
    config = load_config(
        str(tmp_path), {"SECRET_KEY": secret, "ID_HASH_KEY": "i" * 40, "ID_HASH_KEY_ID": "2026a"}
    )
    assert (config["ID_HASH_KEY"], config["ID_HASH_KEY_ID"]) == ("i" * 40, "2026a")


def _insert(conn, table: str, *rows: dict, json: tuple[str, ...] = ()) -> None:
    """Rows into a table as an old revision made it (the models describe today's tables, not that one)."""
    columns = [sa.column(name, sa.JSON) if name in json else sa.column(name) for name in rows[0]]
    conn.execute(sa.table(table, *columns).insert(), list(rows))


@pytest.mark.parametrize("backend_kind", ["sqlite", "postgresql"])
def test_the_migration_redacts_the_ledger_and_rekeys_the_hashes_it_can(backend_kind, tmp_path, monkeypatch):
    """Rows written before 0007: the ledger held the clear number and the hash used SECRET_KEY.
    After the upgrade the ledger is masked; a proof whose mutation is in the ledger is re-keyed
    under ID_HASH_KEY, one without it keeps its old hash marked 'legacy'."""
    new_key = "migration-id-hash-key-long-enough-0123456789"
    monkeypatch.setenv("ID_HASH_KEY", new_key)
    monkeypatch.setenv("ID_HASH_KEY_ID", "k2026")
    with migrated_app(backend_kind, tmp_path, "0004") as app:
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            _insert(
                conn,
                "users",
                {
                    "id": 1,
                    "username": "p",
                    "password_hash": "x",
                    "full_name": "P",
                    "role": "postman",
                    "active": True,
                    "created_at": now,
                },
            )
            _insert(conn, "devices", {"id": "d1", "user_id": 1, "registered_at": now, "last_seq": 1})
            _insert(
                conn,
                "agencies",
                {
                    "id": 1,
                    "code": "A",
                    "name": "A",
                    "kind": "commune_centre",
                    "province": "An Giang",
                    "active": True,
                    "created_at": now,
                },
            )
            _insert(
                conn,
                "procedures",
                {
                    "id": 1,
                    "code": "T",
                    "name": "T",
                    "allowed_by_post": True,
                    "government_fee": 0,
                    "change_seq": 0,
                    "created_at": now,
                    "checklist": [],
                },
                json=("checklist",),
            )
            _insert(
                conn,
                "items",
                *(
                    {
                        "id": n,
                        "code": f"RR00000000{n}VN",
                        "direction": "return",
                        "procedure_id": 1,
                        "agency_id": 1,
                        "recipient_name": "X",
                        "address_line": "Ấp 1",
                        "commune": "Xã",
                        "province": "An Giang",
                        "service_fee": 0,
                        "government_fee": 0,
                        "attempt_count": 0,
                        "status": "delivered",
                        "search_text": "x",
                        "change_seq": 0,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in (1, 2)
                ),
            )
            old = {
                n: hmac.new(b"the-old-secret-key", n.encode(), hashlib.sha256).hexdigest()
                for n in (DELIVERED, STAND_IN)
            }
            _insert(
                conn,
                "delivery_attempts",
                *(
                    {
                        "id": n,
                        "client_mutation_id": mutation,
                        "item_id": n,
                        "postman_id": 1,
                        "outcome": "delivered",
                        "server_time": now,
                        "fee_collected": 0,
                        "government_fee_collected": 0,
                        "flagged": False,
                        "complete": True,
                        "id_number_masked": masked,
                        "id_number_hash": old[number],
                    }
                    for n, mutation, masked, number in (
                        (1, "mutation-0001", "*********678", DELIVERED),
                        (2, None, "*********326", STAND_IN),
                    )
                ),
            )
            _insert(
                conn,
                "sync_mutations",
                {
                    "id": "mutation-0001",
                    "device_id": "d1",
                    "device_seq": 1,
                    "user_id": 1,
                    "type": "deliver",
                    "outcome": "applied",
                    "received_at": now,
                    "result": {"id": "mutation-0001", "outcome": "applied", "proof_id": 1},
                    "payload": {
                        "id": "mutation-0001",
                        "seq": 1,
                        "type": "deliver",
                        "item_id": 1,
                        "data": {
                            "receiver_name": "Y",
                            "receiver_relation": "self",
                            "id_number": DELIVERED,
                            "note": f"CCCD {DELIVERED}",
                        },
                    },
                },
                json=("result", "payload"),
            )
        flask_migrate.upgrade()
        with app.app_context():
            _assert_no_id_number(_dump_database(), "migrated database")
            rows = {
                r.id: r
                for r in db.session.execute(
                    sa.text("SELECT id, id_number_hash, id_number_hash_key FROM delivery_attempts")
                )
            }
            rekeyed = hmac.new(new_key.encode(), DELIVERED.encode(), hashlib.sha256).hexdigest()
            assert (rows[1].id_number_hash, rows[1].id_number_hash_key) == (rekeyed, "k2026")
            assert (rows[2].id_number_hash, rows[2].id_number_hash_key) == (old[STAND_IN], "legacy")
            payload = db.session.execute(sa.text("SELECT payload FROM sync_mutations")).scalar_one()
            payload = json.loads(payload) if isinstance(payload, str) else payload
            assert payload["data"]["id_number"] == "*********678"
            assert payload["data"]["note"] == "CCCD *********678"
