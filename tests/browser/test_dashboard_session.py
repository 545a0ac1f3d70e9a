"""Signing in to the dashboard: staff only, the token refreshed when it expires or is refused,
English on request, and signing out."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import Factory

SESSION = "postround.dashboard.session"


def sign_in(page, user, password=Factory.PASSWORD):
    page.fill("#login-username", user.username)
    page.fill("#login-password", password)
    page.click("form button[type=submit]")


def test_postmen_and_wrong_passwords_are_turned_away(page, server):
    postman = server.make.user("postman")
    page.goto(f"{server.url}/dashboard/")

    sign_in(page, postman, "not-the-password")
    expect(page.locator("form [role=alert]")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    sign_in(page, postman)
    expect(page.locator("form [role=alert]")).to_contain_text("không dùng được bảng điều khiển")
    assert page.evaluate(f"sessionStorage.getItem('{SESSION}')") is None


def test_an_expired_or_refused_token_is_refreshed_and_the_page_keeps_working(page, server):
    supervisor = server.make.user("supervisor", full_name="Hồ Thị Giám Sát")
    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/api/auth/refresh") else None)
    page.goto(f"{server.url}/dashboard/")
    sign_in(page, supervisor)
    expect(page.locator("h1")).to_have_text("Hôm nay")

    # The access token ran out: refreshed before the next call.
    page.evaluate(f"""() => {{ const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
                             s.expiresAt = 0; sessionStorage.setItem('{SESSION}', JSON.stringify(s)); }}""")
    page.click("nav a[data-route=reports]")
    expect(page.locator("#report-empty")).to_be_visible()
    # The server refuses the token (e.g. a restart with a new key): one refresh, then the call again.
    page.evaluate(f"""() => {{ const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
                             s.accessToken = 'not-a-token'; sessionStorage.setItem('{SESSION}', JSON.stringify(s)); }}""")
    page.click("nav a[data-route=handovers]")
    expect(page.locator("#handover-list-title")).to_have_text("Các biên bản gần đây")
    assert len(refreshes) == 2

    # A refresh token that no longer works ends the session: back to the sign-in form.
    page.evaluate(f"""() => {{ const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
                             s.accessToken = 'x'; s.refreshToken = 'revoked-long-enough-token';
                             sessionStorage.setItem('{SESSION}', JSON.stringify(s)); }}""")
    page.click("nav a[data-route=today]")
    expect(page.locator("#login-title")).to_be_visible()


def test_the_dashboard_speaks_english_on_request_and_signs_out(page, server):
    supervisor = server.make.user("supervisor")
    page.goto(f"{server.url}/dashboard/")
    sign_in(page, supervisor)
    expect(page.locator("h1")).to_have_text("Hôm nay")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Today")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("nav a[data-route=planning]")).to_have_text("Planning")
    page.reload()
    expect(page.locator("h1")).to_have_text("Today")  # remembered
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("h1")).to_have_text("Hôm nay")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.locator("#login-title")).to_have_text("Đăng nhập")
    assert page.evaluate(f"sessionStorage.getItem('{SESSION}')") is None
