"""An administrator manages the agency systems' API keys on the dashboard: makes one (its secret is
shown this once), sees when it was last used, and revokes it; the system is refused from then on.
Supervisors have no such screen."""

from __future__ import annotations

import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import sign_in_to_dashboard


def _items_status(server, key: str) -> int:
    request = urllib.request.Request(f"{server.url}/api/items", headers={"X-Api-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_admin_makes_a_key_sees_its_last_use_and_revokes_it(page, server):
    make = server.make
    agency = make.agency(name="Trung tâm Phục vụ hành chính công tỉnh An Giang")
    admin = make.user("admin", full_name="Quản Trị Viên")

    sign_in_to_dashboard(page, server, admin)
    page.click("nav a[data-route=keys]")
    expect(page.locator("h1")).to_have_text("Khóa API của hệ thống cơ quan")
    expect(page.locator("#keys-list-title ~ p.empty")).to_have_text("Chưa có khóa nào.")
    page.select_option("select[name=agency]", str(agency.id))
    page.fill("#key-name", "Hệ thống một cửa tỉnh")
    page.click("#key-create")
    secret = page.locator("#key-secret")
    expect(secret).to_contain_text("prk_")
    key = secret.inner_text().strip()
    row = page.locator("#keys-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Chưa dùng")
    expect(row).not_to_contain_text(key)  # the list never shows the secret

    assert _items_status(server, key) == 200
    page.reload()
    expect(page.locator("#key-secret")).to_have_count(0)  # shown once: gone on reload
    expect(row.locator("[data-field=last-used]")).not_to_have_text("Chưa dùng")

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-revoke]").click()
    expect(page.locator("#key-revoked")).to_contain_text("Hệ thống một cửa tỉnh")
    expect(row).to_contain_text("Đã thu hồi lúc")
    assert _items_status(server, key) == 401


def test_a_supervisor_has_no_api_keys_screen(page, server):
    sign_in_to_dashboard(page, server, server.make.user("supervisor"))
    expect(page.locator("nav a[data-route=today]")).to_be_visible()
    expect(page.locator("nav a[data-route=keys]")).to_have_count(0)
