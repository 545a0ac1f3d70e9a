"""Tokens expire while the postman is offline; the work they captured never does."""

from __future__ import annotations

import time

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, RefreshToken
from backend.models.base import now_utc
from tests.browser.conftest import Pwa

pytestmark = pytest.mark.server_settings(
    ACCESS_TOKEN_TTL=2
)  # seconds: expired by the time the postman is back online


def count_401s(page) -> list[str]:
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 401 and "/api/" in r.url else None)
    return refused


def proofs_on_server(server) -> int:
    with server.app.app_context():
        return db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one()


def signed_in_then_offline(phone, live_server, day):
    """The postman signs in online, the round and the app shell arrive, then the network goes."""
    page = phone.new_page()
    refused = count_401s(page)
    pwa = Pwa(page, live_server).on_the_round(day.postman.username)
    pwa.wait_for_service_worker()
    phone.set_offline(True)
    return page, pwa, refused


def test_an_expired_token_is_refreshed_once_and_the_queue_syncs(phone, live_server, postman_day):
    day = postman_day
    page, pwa, refused = signed_in_then_offline(phone, live_server, day)
    pwa.fail(day.deliveries[0])
    time.sleep(2.5)  # the access token expires meanwhile
    page.reload()  # offline, the app opens on its cached session even with an expired token
    page.wait_for_selector(f'.item[data-item-id="{day.deliveries[1].id}"]')  # on the next stop, as left
    assert page.locator("form.login").count() == 0

    refused.clear()
    phone.set_offline(False)
    pwa.wait_until_synced()
    assert proofs_on_server(live_server) == 1
    assert 1 <= len(refused) <= 2  # one 401 per request at most, each answered by a refresh
    assert all("/api/auth/refresh" not in url for url in refused)


def test_after_the_session_is_lost_offline_the_postman_signs_in_again_and_nothing_is_lost(
    phone, live_server, postman_day
):
    day = postman_day
    page, pwa, refused = signed_in_then_offline(phone, live_server, day)
    pwa.fail(day.deliveries[0])
    pwa.fail(day.deliveries[1], reason="moved", note="Chuyển vào Cần Thơ")
    time.sleep(2.5)
    with live_server.app.app_context():  # the refresh token dies too (revoked by a supervisor, or expired)
        for token in db.session.execute(db.select(RefreshToken)).scalars():
            token.revoked_at = now_utc()
        db.session.commit()

    refused.clear()
    phone.set_offline(False)
    page.wait_for_selector('[data-banner="auth"]')  # "sign in again: 2 records are safe on the phone"
    assert page.get_attribute("#sync-indicator", "data-pending") == "2"
    page.wait_for_timeout(3000)  # the app waits for the postman: no retry loop against the server
    assert len(refused) == 2  # the push, then the refresh that was refused
    assert any("/api/auth/refresh" in url for url in refused)
    assert len(pwa.store("outbox")) == 2
    assert proofs_on_server(live_server) == 0

    page.click('[data-banner="auth"] a')
    page.wait_for_selector("form.login")
    assert page.input_value("#username") == day.postman.username  # the round and the user are kept
    page.fill("#password", "correct-horse-battery")
    page.click("form.login button[type=submit]")
    pwa.wait_until_synced()
    assert proofs_on_server(live_server) == 2
    assert pwa.store("outbox") == []
    assert page.locator('[data-banner="auth"]').count() == 0
    assert len(refused) <= 3  # at most one more: a fresh token expiring (TTL 2 s) before its first use
