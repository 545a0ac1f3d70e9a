"""Zalo ZNS keeps sending when its token expires, and a citizen Zalo cannot reach gets an SMS
(docs/notifications.md, "Zalo ZNS"). Against the local gateway (tests/gateway.py), which speaks
ZNS, Zalo's OAuth token refresh (a refresh token works once) and the SMS gateway. SQLite and PG.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import Item, Notification, NotificationAttempt, ZnsToken
from backend.models.base import now_utc
from backend.services import notifications, zns_tokens
from tests.gateway import zns_settings
from tests.kit.phone import Phone


@pytest.fixture
def app_config(gateway):
    return zns_settings(gateway, NOTIFY_RETRY_SECONDS=0, NOTIFY_TIMEOUT_SECONDS=1.0)


def delivered(client, make, count: int = 1) -> list[Item]:
    """Items delivered from a postman's phone: each has a "delivered" message waiting."""
    items = [make.item(recipient_phone=f"0918 245 {n:03d}") for n in range(count)]
    phone, items = Phone.on_a_round(client, make, items)
    for item in items:
        phone.deliver(item.id)
    phone.sync()
    return items


def send(app) -> None:
    with app.app_context():
        notifications.send_due()


def log_of(app, item_id: int) -> tuple[Notification, list[tuple[str, str]]]:
    """The item's message and its attempts as (channel, outcome)."""
    with app.app_context():
        row = db.session.execute(
            db.select(Notification).where(Notification.item_id == item_id, Notification.event == "delivered")
        ).scalar_one()
        tries = db.session.execute(
            db.select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == row.id)
            .order_by(NotificationAttempt.id)
        ).scalars()
        attempts = [(a.channel, a.outcome) for a in tries]
        db.session.expunge_all()
        return row, attempts


def zns_sends(gateway) -> list[dict]:
    return [r for r in gateway.received if r["path"] == "/zns"]


def stored_tokens(app) -> ZnsToken:
    with app.app_context():
        row = db.session.get_one(ZnsToken, zns_tokens.ROW)
        db.session.expunge(row)
        return row


def test_a_token_zalo_let_lapse_is_refreshed_and_the_message_still_goes(app, client, make, gateway):
    first, second = delivered(client, make, 2)
    gateway.expire()
    send(app)

    (refresh,) = gateway.refreshes
    assert refresh["granted"] and refresh["headers"]["secret_key"] == "zalo-secret"
    assert refresh["form"] == {
        "refresh_token": "zalo-refresh-0",
        "app_id": "zalo-app",
        "grant_type": "refresh_token",
    }
    assert [b["template_id"] for b in gateway.accepted] == ["tpl-delivered", "tpl-delivered"]
    for item in (first, second):
        row, attempts = log_of(app, item.id)
        assert (row.status, row.channel, attempts) == ("sent", "zns", [("zns", "sent")])
    tokens = stored_tokens(app)
    assert (tokens.access_token, tokens.refresh_token) == ("zalo-oa-token-1", "zalo-refresh-1")
    assert timedelta(hours=24) < tokens.expires_at - now_utc() <= timedelta(seconds=90000)

    # The next lapse spends the new refresh token (the configured one is spent: Zalo would refuse it).
    gateway.expire()
    with app.app_context():
        assert zns_tokens.refresh(tokens.access_token) == "zalo-oa-token-2"
    assert [r["form"]["refresh_token"] for r in gateway.refreshes] == ["zalo-refresh-0", "zalo-refresh-1"]
    assert all(r["granted"] for r in gateway.refreshes)


def test_a_token_about_to_expire_is_refreshed_before_the_send(app, client, make, gateway):
    (item,) = delivered(client, make)
    with app.app_context():
        zns_tokens.access_token()  # the row, from the settings
        db.session.get_one(ZnsToken, zns_tokens.ROW).expires_at = now_utc() + timedelta(minutes=5)
        db.session.commit()
    send(app)
    assert len(gateway.refreshes) == 1
    assert [r["headers"]["access_token"] for r in zns_sends(gateway)] == ["zalo-oa-token-1"]
    assert log_of(app, item.id)[0].status == "sent"


def test_two_workers_never_both_spend_the_single_use_refresh_token(app, gateway):
    with app.app_context():
        stale = zns_tokens.access_token()
        assert zns_tokens.refresh(stale) == "zalo-oa-token-1"
        # A second worker that saw the same stale token finds the new one, and asks Zalo nothing.
        assert zns_tokens.refresh(stale) == "zalo-oa-token-1"
        assert len(gateway.refreshes) == 1
        # While another worker holds the claim, nobody else refreshes: they keep their token.
        row = db.session.get_one(ZnsToken, zns_tokens.ROW)
        row.claim, row.claim_until = "another-worker", now_utc() + timedelta(seconds=30)
        db.session.commit()
        assert zns_tokens.refresh("zalo-oa-token-1") == "zalo-oa-token-1"
        assert len(gateway.refreshes) == 1
        # A claim whose worker died (its lease is over) is taken over.
        row = db.session.get_one(ZnsToken, zns_tokens.ROW)
        row.claim_until = now_utc() - timedelta(seconds=1)
        db.session.commit()
        assert zns_tokens.refresh("zalo-oa-token-1") == "zalo-oa-token-2"


def test_a_refused_refresh_keeps_the_tokens_and_is_not_asked_again_by_every_message(
    app, client, make, gateway
):
    items = delivered(client, make, 3)
    gateway.expire()
    gateway.failures = ["zns-error", "500"]  # ZNS: unknown error, then Zalo's OAuth: refused
    send(app)
    assert len(gateway.refreshes) == 1  # the other messages wait out the back-off with the old token
    for item in items:
        row, attempts = log_of(app, item.id)
        assert (row.status, attempts) == ("pending", [("zns", "error")])
    assert stored_tokens(app).refresh_token == "zalo-refresh-0"
    with app.app_context():  # after the back-off, the next message refreshes it
        later = now_utc() + zns_tokens.BACKOFF + timedelta(seconds=1)
        assert zns_tokens.refresh(stored_tokens(app).access_token, later) == "zalo-oa-token-2"


def test_a_citizen_without_zalo_gets_the_message_by_sms_once(app, client, make, gateway):
    (item,) = delivered(client, make)
    gateway.failures = ["zns-no-zalo", "500"]  # ZNS: no Zalo account; then the SMS gateway fails once
    send(app)
    send(app)
    row, attempts = log_of(app, item.id)
    assert (row.status, row.channel) == ("sent", "sms")
    assert attempts == [("zns", "error"), ("sms", "error"), ("sms", "sent")]
    assert len(zns_sends(gateway)) == 1  # ZNS is not asked again for this message
    (sms,) = gateway.accepted
    assert sms["to"] == "84918245000" and sms["template"] == "delivered" and item.code in sms["text"]
    with app.app_context():
        tries = db.session.execute(
            db.select(NotificationAttempt).where(NotificationAttempt.notification_id == row.id)
        ).scalars()
        assert next(iter(tries)).error == "ZNS -118: Zalo account not existed"


def test_without_an_sms_gateway_a_citizen_zalo_cannot_reach_fails_at_once(app, client, make, gateway):
    app.config.update(SMS_GATEWAY_URL=None, SMS_GATEWAY_KEY=None)
    (item,) = delivered(client, make)
    gateway.failures = ["zns-no-zalo"]
    send(app)
    row, attempts = log_of(app, item.id)
    assert (row.status, row.channel, attempts) == ("failed", "zns", [("zns", "error")])


def test_a_template_zalo_refuses_fails_loudly_and_is_not_sent_by_sms(app, client, make, gateway, caplog):
    (item,) = delivered(client, make)
    gateway.failures = ["zns-template"]
    with caplog.at_level(logging.ERROR, logger="backend.services.notifications"):
        send(app)
    row, attempts = log_of(app, item.id)
    assert (row.status, row.channel, row.last_error) == ("failed", "zns", "ZNS -112: Template data invalid")
    assert attempts == [("zns", "error")] and gateway.accepted == []
    assert any("tpl-delivered" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_an_opted_out_citizen_gets_neither_zns_nor_sms(app, client, make, gateway):
    (item,) = delivered(client, make)
    with app.app_context():
        notifications.opt_out(db.session.get_one(Item, item.id), source="supervisor", whole_phone=False)
        db.session.commit()
    gateway.failures = ["zns-no-zalo"]
    send(app)
    assert gateway.received == [] and log_of(app, item.id)[0].status == "skipped"


def test_an_operators_new_token_pair_replaces_the_stored_one(app, gateway):
    with app.app_context():
        zns_tokens.refresh(zns_tokens.access_token())
        app.config.update(ZNS_ACCESS_TOKEN="set-by-hand", ZNS_REFRESH_TOKEN="refresh-by-hand")
        assert zns_tokens.access_token() == "set-by-hand"
        assert db.session.get_one(ZnsToken, zns_tokens.ROW).refresh_token == "refresh-by-hand"
