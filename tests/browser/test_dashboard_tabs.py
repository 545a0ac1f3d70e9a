"""Sessions across tabs: two tabs of one supervisor's session live through an hour of 30-second
access tokens (the page's clock faked, the server's real) without signing each other out; when the
session really ends the sign-in form says why, and what was being typed comes back after signing in."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import LoginSession
from tests.browser.conftest import DESK, sign_in_to_dashboard
from tests.factories import Factory

SESSION = "postround.dashboard.session"
NEW_PASSWORD = "mat-khau-moi-2026"


pytestmark = pytest.mark.server_settings(ACCESS_TOKEN_TTL=30, DASHBOARD_POLL_SECONDS=10)


def desk(browser):
    return browser.new_context(**DESK)


class InFlight:
    """The requests a tab has sent and not yet had answered, so a step of the page's fake clock can
    wait for the real server's answers instead of for a fixed time a loaded machine may not keep."""

    def __init__(self, page):
        self.page, self.open = page, set()
        page.on("request", lambda request: self.open.add(request))
        page.on("requestfinished", lambda request: self.open.discard(request))
        page.on("requestfailed", lambda request: self.open.discard(request))

    def settle(self, still_ms: int = 100, limit_s: float = 15.0) -> None:
        """Until nothing has been in flight for `still_ms` (a poll's requests follow each other)."""
        deadline, still = time.monotonic() + limit_s, 0
        while still < still_ms and time.monotonic() < deadline:
            self.page.wait_for_timeout(25)
            still = 0 if self.open else still + 25


def test_two_tabs_share_one_session_through_an_hour_of_short_lived_tokens(browser, server):
    supervisor = server.make.user("supervisor", full_name="Hồ Thị Giám Sát")
    context = desk(browser)
    refreshes = []
    context.on(
        "response", lambda r: refreshes.append(r.status) if r.url.endswith("/api/auth/refresh") else None
    )
    first = context.new_page()
    first_in_flight = InFlight(first)
    first.clock.install()
    sign_in_to_dashboard(first, server, supervisor)
    saved = first.evaluate(f"sessionStorage.getItem('{SESSION}')")
    second = context.new_page()  # the tab duplicated: it starts with a copy of the session
    in_flight = {first: first_in_flight, second: InFlight(second)}
    second.clock.install()
    second.add_init_script(f"sessionStorage.setItem('{SESSION}', {json.dumps(saved)})")
    second.goto(f"{server.url}/dashboard/#/today")
    expect(second.locator("h1")).to_have_text("Hôm nay")

    for minute in range(60):  # an hour, a minute at a time, in each tab in turn
        for page in (first, second):
            for _half in range(2):  # half a minute, then the real server answers the poll (and the refresh)
                page.clock.run_for(30_000)
                in_flight[page].settle()
            page.clock.run_for(500)  # the rotating tab's hand-over pause
        if minute % 10 == 9:
            first.click("nav a[data-route=reports]" if minute % 20 == 9 else "nav a[data-route=today]")

    for page in (first, second):
        page.clock.run_for(1000)
        expect(page.locator("#login-title")).to_have_count(0)
        expect(page.locator("header .who")).to_contain_text("Hồ Thị Giám Sát")
    assert len(refreshes) >= 60 and set(refreshes) == {200}, refreshes
    with server.app.app_context():
        ended = db.session.execute(
            db.select(LoginSession).where(LoginSession.revoked_at.is_not(None))
        ).scalars()
        assert [s.end_reason for s in ended] == []  # no refresh token spent twice, nothing revoked
    context.close()


def test_a_session_ended_by_a_password_change_says_so_and_keeps_what_was_typed(browser, server):
    make = server.make
    admin = make.user("admin")
    supervisor = make.user("supervisor", full_name="Hồ Thị Giám Sát")
    make.agency(name="Trung tâm PVHCC xã Châu Thành")
    context = desk(browser)
    page = context.new_page()
    sign_in_to_dashboard(page, server, supervisor, route="handovers", heading="Biên bản bàn giao")
    page.fill("#handover-officer", "Nguyễn Văn Cán Bộ")
    page.fill("#handover-note", "Bàn giao buổi chiều")

    # Meanwhile an administrator resets the supervisor's password: the session ends now.
    api = server.app.test_client()
    token = api.post("/api/auth/login", json={"username": admin.username, "password": Factory.PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    assert (
        api.patch(f"/api/users/{supervisor.id}", json={"password": NEW_PASSWORD}, headers=headers).status_code
        == 200
    )

    page.get_by_label("Cơ quan", exact=True).select_option(
        label="Trung tâm PVHCC xã Châu Thành"
    )  # asks the server
    expect(page.locator("#login-ended")).to_contain_text("mật khẩu đã được đổi")
    expect(page.locator("#login-ended")).to_contain_text("đã được giữ lại")

    page.fill("#login-username", supervisor.username)
    page.fill("#login-password", NEW_PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Biên bản bàn giao")
    expect(page.locator("#handover-officer")).to_have_value("Nguyễn Văn Cán Bộ")
    expect(page.locator("#handover-note")).to_have_value("Bàn giao buổi chiều")
    expect(page.locator("#announcer")).to_contain_text("Đã khôi phục")
    context.close()
