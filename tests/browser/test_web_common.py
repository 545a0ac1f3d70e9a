"""The shared web base (web/common): two tabs never spend one refresh token twice, and the phone
shows dates in the post office's zone as the server tells it, not in a zone built into the app."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import RefreshToken
from backend.timeutil import local_today
from tests.browser.conftest import DESK, Pwa, sign_in_to_dashboard

SESSION = "postround.dashboard.session"

ZONE = "Pacific/Kiritimati"  # UTC+14: its date is not the phone's (Asia/Ho_Chi_Minh) for 7 hours a day


pytestmark = pytest.mark.server_settings(ACCESS_TOKEN_TTL=2, TIMEZONE=ZONE)


def refresh_calls(context) -> list[str]:
    """The refresh tokens the tabs of `context` (a browser context, or one tab) spend, in order."""
    calls = []
    context.on(
        "request",
        lambda r: (
            calls.append(r.post_data_json["refresh_token"]) if r.url.endswith("/api/auth/refresh") else None
        ),
    )
    return calls


def test_two_tabs_with_an_expired_token_refresh_it_once_and_both_keep_working(
    phone, live_server, postman_day
):
    calls = refresh_calls(phone)
    first = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    second = Pwa(phone.new_page(), live_server).open()  # the same phone: the same session, another tab
    second.wait_for_stops(5)
    time.sleep(2.5)  # both tabs' access token has expired

    phone.set_offline(True)
    phone.set_offline(False)  # both tabs sync at once, each with the token it read at start
    for pwa in (first, second):
        pwa.page.click("#sync-indicator")
        pwa.page.click('[data-action="sync-now"]')
        pwa.page.wait_for_selector('#sync-indicator[data-state="ok"]')
    # Each refresh token is spent once: a tab that finds the pair already rotated by the other takes the new
    # pair instead of spending the old one (which the server would treat as theft).
    assert calls and len(set(calls)) == len(calls)
    for pwa in (first, second):
        assert pwa.page.locator('[data-banner="auth"]').count() == 0
    with live_server.app.app_context():  # a reused refresh token would have revoked the whole login
        live = (
            db.session.execute(db.select(RefreshToken).where(RefreshToken.revoked_at.is_(None)))
            .scalars()
            .all()
        )
        assert live, "the login was revoked: a refresh token was spent twice"


def sync_now(pwa):
    """Tap "sync now" and wait for the pull it makes to be answered with the round."""
    pwa.page.click("#sync-indicator")
    with pwa.page.expect_response(lambda r: "/api/sync/pull" in r.url and r.status == 200):
        pwa.page.click('[data-action="sync-now"]')
    pwa.page.wait_for_selector('#sync-indicator[data-state="ok"]')


def test_a_tab_that_slept_through_another_tabs_refresh_refreshes_again_when_that_pair_has_expired_too(
    phone, live_server, postman_day
):
    """The second tab hears nothing of the first's refresh (as a tab frozen in the background): it finds
    a newer pair in the store, already expired, and must spend that pair's refresh token, not log out."""
    calls = refresh_calls(phone)
    first = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    deaf = phone.new_page()
    deaf.add_init_script("delete window.BroadcastChannel")
    by_the_deaf_tab = refresh_calls(deaf)
    second = Pwa(deaf, live_server).open()
    second.wait_for_stops(5)

    time.sleep(2.5)  # the login's first access token has expired
    sync_now(first)  # the first tab trades it for a new pair; the second tab keeps the old one
    deaf_spent_before = len(by_the_deaf_tab)  # 0, unless a loaded machine opened it after the expiry
    time.sleep(2.5)  # and the new pair's access token has expired too
    sync_now(second)

    assert second.page.locator('[data-banner="auth"]').count() == 0
    # The deaf tab refreshed for its sync, and no refresh token was spent twice by either tab: so it spent
    # the newer pair's it found in the store, not the one it had read at start, which the first tab had
    # spent. (A tab whose new access token expires again mid-sync, two seconds here, refreshes once more,
    # with its own newest pair: still no token twice.)
    assert by_the_deaf_tab[deaf_spent_before:], calls
    assert len(set(calls)) == len(calls), calls
    with live_server.app.app_context():
        live = (
            db.session.execute(db.select(RefreshToken).where(RefreshToken.revoked_at.is_(None)))
            .scalars()
            .all()
        )
        assert live, "the login was revoked: a refresh token was spent twice"


def test_the_phone_takes_the_post_offices_zone_from_the_server(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    meta = pwa.page.evaluate("""async () => {
      const db = await new Promise(ok => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result) })
      const zone = await new Promise(ok => { db.transaction('meta').objectStore('meta').get('timezone').onsuccess =
        e => ok(e.target.result) })
      db.close()
      return zone
    }""")
    assert meta == ZONE
    with live_server.app.app_context():
        today = local_today()  # the post office's date: the round's
    # The round of the post office's today is "today" on the phone, whatever the phone's own date is.
    pwa.page.wait_for_function(
        "(d) => document.querySelector('h1').textContent.includes(d)", arg=f"Hôm nay · {today:%d/%m/%Y}"
    )


def test_a_duplicated_dashboard_tab_never_spends_the_refresh_token_its_twin_spent(browser, server):
    """The dashboard keeps its tokens in the tab's sessionStorage; a duplicated tab starts with a copy."""
    supervisor = server.make.user("supervisor")
    context = browser.new_context(**DESK)
    calls = refresh_calls(context)
    first = context.new_page()
    sign_in_to_dashboard(first, server, supervisor)
    saved = first.evaluate(f"sessionStorage.getItem('{SESSION}')")
    second = context.new_page()
    second.add_init_script(f"sessionStorage.setItem('{SESSION}', {json.dumps(saved)})")  # the duplicate
    second.goto(f"{server.url}/dashboard/")
    expect(second.locator("h1")).to_have_text("Hôm nay")

    for page in (first, second):  # both copies of the session are due for a refresh
        page.evaluate(f"""() => {{ const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
                                 s.expiresAt = 0; sessionStorage.setItem('{SESSION}', JSON.stringify(s)); }}""")
    first.click("nav a[data-route=reports]")
    second.click("nav a[data-route=reports]")
    for page in (first, second):
        expect(page.locator("#report-empty")).to_be_visible()
    assert calls and len(set(calls)) == len(calls)  # each refresh token spent once
    for page in (first, second):  # and both tabs carry on with the rotated pair
        page.click("nav a[data-route=handovers]")
        expect(page.locator("#handover-list-title")).to_be_visible()
    with server.app.app_context():
        assert (
            db.session.execute(db.select(RefreshToken).where(RefreshToken.revoked_at.is_(None)))
            .scalars()
            .all()
        )
    context.close()
