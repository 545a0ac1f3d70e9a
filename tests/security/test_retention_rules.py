"""Retention follows the rules: electronic records at least five years (Circular 17/2017 Art. 14),
each kind of data its own setting, start-up refuses less, and the purge follows the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.config import LEGAL_MINIMUM_DAYS, RETENTION_SETTINGS, ConfigError, load_config
from backend.extensions import db
from backend.models import Attachment, AuditEntry, DeliveryAttempt, SyncMutation
from backend.models.base import now_utc
from tests.kit.images import jpeg_bytes, png_signature
from tests.kit.phone import Phone, sha
from tests.stores import both_stores

KEYS = {"SECRET_KEY": "s" * 40, "ID_HASH_KEY": "i" * 40}


def test_every_period_defaults_to_at_least_five_years(tmp_path):
    config = load_config(str(tmp_path), KEYS)
    assert LEGAL_MINIMUM_DAYS >= 5 * 365 + 1
    for name in RETENTION_SETTINGS:
        assert config[name] >= LEGAL_MINIMUM_DAYS, name
    assert config["PHOTO_RETENTION_DAYS"] != 365  # the old one-year default is gone


@pytest.mark.parametrize("name", list(RETENTION_SETTINGS))
def test_a_period_below_the_legal_minimum_stops_start_up_naming_the_law(tmp_path, name):
    with pytest.raises(ConfigError, match=rf"{name} must be at least {LEGAL_MINIMUM_DAYS} days.*Circular 17"):
        load_config(str(tmp_path), KEYS | {name: str(LEGAL_MINIMUM_DAYS - 1)})
    assert (
        load_config(str(tmp_path), KEYS | {name: str(LEGAL_MINIMUM_DAYS + 30)})[name]
        == LEGAL_MINIMUM_DAYS + 30
    )


@pytest.fixture
def old_delivery(client, app, make):
    phone, (item,) = Phone.on_a_round(client, make)
    files = {
        "signature": png_signature(3),
        "photo": jpeg_bytes(3),
        "id_photo": jpeg_bytes(4),
        "authorisation_letter": jpeg_bytes(5),
    }
    sent = phone.capture(
        "deliver",
        item.id,
        {"receiver_name": "Lê Văn Tám", "receiver_relation": "authorised", "id_number": "079301005678"},
        files,
    )
    phone.sync()
    app.config.update(
        PHOTO_RETENTION_DAYS=LEGAL_MINIMUM_DAYS,
        ID_PHOTO_RETENTION_DAYS=2000,
        SIGNATURE_RETENTION_DAYS=3000,
        LEDGER_PAYLOAD_RETENTION_DAYS=2500,
    )

    def age(days: int) -> None:
        with app.app_context():
            proof = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
            proof.server_time = now_utc() - timedelta(days=days)
            for row in db.session.execute(db.select(SyncMutation)).scalars():
                row.received_at = now_utc() - timedelta(days=days)
            db.session.commit()

    return {
        "age": age,
        "phone": phone,
        "sent": sent,
        "sha": {kind: sha(content) for kind, content in files.items()},
    }


def _kept(app, digests: dict) -> dict:
    store = app.extensions["postround.store"]
    with app.app_context():
        return {
            kind: store.exists(d) and db.session.get(Attachment, d).purged_at is None
            for kind, d in digests.items()
        }


@pytest.mark.parametrize(
    "days, kept",
    [
        (
            LEGAL_MINIMUM_DAYS - 10,
            {"signature": True, "photo": True, "id_photo": True, "authorisation_letter": True},
        ),
        (1900, {"signature": True, "photo": False, "id_photo": True, "authorisation_letter": True}),
        (2100, {"signature": True, "photo": False, "id_photo": False, "authorisation_letter": False}),
        (3100, {"signature": False, "photo": False, "id_photo": False, "authorisation_letter": False}),
    ],
)
@both_stores
def test_the_purge_deletes_each_kind_of_file_after_its_own_period(app, runner, old_delivery, days, kept):
    old_delivery["age"](days)
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert _kept(app, old_delivery["sha"]) == kept
    with app.app_context():
        assert (
            db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 1
        )  # the record stays


def test_ledger_payloads_are_reduced_after_their_period_and_a_late_retry_is_still_a_duplicate(
    app, runner, old_delivery
):
    old_delivery["age"](2400)
    runner.invoke(args=["purge-expired"])
    with app.app_context():
        assert "data" in db.session.execute(db.select(SyncMutation)).scalar_one().payload
    old_delivery["age"](2600)
    result = runner.invoke(args=["purge-expired"])
    assert "1 ledger payload" in result.output
    phone = old_delivery["phone"]
    with app.app_context():
        row = db.session.execute(db.select(SyncMutation)).scalar_one()
        assert set(row.payload) == {"id", "seq", "type", "purged_at"} and row.outcome == "applied"
    # The phone never heard the answer and sends the very same mutation again, years later.
    retry = phone.client.post(
        "/api/sync/push", json={"protocol": 1, "mutations": [old_delivery["sent"]]}, headers=phone.headers
    )
    assert retry.get_json()["results"][0]["outcome"] == "duplicate"


def test_the_audit_log_is_never_deleted_only_reported_past_its_period(app, runner, old_delivery):
    with app.app_context():
        db.session.add(
            AuditEntry(
                action="test.old",
                entity_type="test",
                at=now_utc() - timedelta(days=app.config["AUDIT_RETENTION_DAYS"] + 1),
            )
        )
        db.session.commit()
        before = db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar_one()
    result = runner.invoke(args=["purge-expired", "--dry-run"])
    assert "1 audit entrie(s) past retention" in result.output
    runner.invoke(args=["purge-expired"])
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar_one() >= before
