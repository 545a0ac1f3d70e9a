"""Who is behind, at a glance: the supervisor's Today page at 1366×768 orders the rounds by risk
with the reason and the expected times, keeps the exceptions in view, and counts new exceptions in
the tab's title (with a tone only if they turned it on)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_to_dashboard
from tests.kit.phone import Phone

# The postmen's day is over (every stop expected done), polled every 2 s.
pytestmark = pytest.mark.server_settings(
    DASHBOARD_POLL_SECONDS=2, ROUND_DAY_START="00:00", ROUND_DAY_END="00:01"
)


def test_the_round_most_behind_comes_first_and_a_new_exception_marks_the_tab(browser, server):
    make = server.make
    supervisor = make.user("supervisor", full_name="Hồ Thị Giám Sát")
    on_time = make.user("postman", full_name="Đúng Giờ")
    late = make.user("postman", full_name="Chậm Trễ")
    done = [make.item(lat=10.01, lon=105.16)]  # delivered at its door
    make.round(on_time, items=done)
    late_items = [make.item(lat=10.01 + n / 100, lon=105.17) for n in range(3)]
    make.round(late, items=late_items)
    phone = Phone(server.app.test_client(), on_time.username).login()
    phone.pull()
    phone.deliver(done[0].id, seed=1)
    phone.sync()
    late_phone = Phone(server.app.test_client(), late.username).login()
    late_phone.pull()

    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = context.new_page()
    sign_in_to_dashboard(page, server, supervisor)

    rows = page.locator("#today-rounds tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_contain_text("Chậm Trễ")
    expect(rows.nth(0).locator("[data-reason=behind]")).to_have_text(
        "Chậm 3 điểm (lẽ ra đã xong 3, mới có 0)"
    )
    expect(rows.nth(0).locator("[data-eta]")).to_contain_text(re.compile(r"Điểm tiếp theo \w+ lúc \d\d:\d\d"))
    expect(rows.nth(0).locator("[data-eta]")).to_contain_text("10 phút/điểm")
    expect(rows.nth(1).locator("td.risk")).to_contain_text("Đúng tiến độ")
    # The exceptions are on screen at 1366×768 without scrolling.
    title = page.locator("#exceptions-title")
    expect(title).to_be_in_viewport()
    assert page.evaluate("document.title") == "Hôm nay — PostRound"

    # The sound is off by default; turned on, it is remembered.
    sound = page.locator("#today-sound")
    expect(sound).not_to_be_checked()
    sound.check()
    page.reload()
    expect(page.locator("#today-sound")).to_be_checked()
    expect(rows).to_have_count(2)
    page.wait_for_timeout(2500)  # one poll after the reload: what is listed now has been seen

    # A failed visit arrives while the supervisor looks elsewhere: the title counts it, a tone sounds.
    late_phone.fail(late_items[0].id)
    late_phone.sync()
    expect(page).to_have_title("(1) Hôm nay — PostRound", timeout=10_000)
    assert page.evaluate("window.__postroundBeeps") == 1
    expect(rows.nth(0).locator("[data-reason=exceptions]")).to_have_text("1 việc cần xử lý")
    # Back at the page: the badge goes.
    page.locator("h1").click()
    expect(page).to_have_title("Hôm nay — PostRound")
    context.close()
