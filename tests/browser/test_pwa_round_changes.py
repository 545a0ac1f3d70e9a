"""Told when the round changes: while the app is open, the supervisor adds an item to the postman's
round, gives another to a colleague and moves a third to tomorrow; at the next pull the phone says
which, by code and name, in Vietnamese (or English), until the postman taps "understood". The first
download tells nothing. Dark mode follows the phone's setting and every text stays readable
(contrast ≥ 4.5:1, from computed styles)."""

from __future__ import annotations

from datetime import timedelta

from backend.extensions import db
from backend.models import Item
from tests.browser.conftest import AT_THE_DOOR, PHONE, Pwa
from tests.kit.contrast import low_contrast


def moved_to(server, item, round_id: int, stop_order: int = 9) -> None:
    with server.app.app_context():
        row = db.session.get(Item, item.id)
        row.round_id, row.stop_order = round_id, stop_order
        db.session.commit()


def pull_now(page) -> None:
    """The phone syncs when the network comes back."""
    page.context.set_offline(True)
    page.context.set_offline(False)


def test_an_item_added_one_given_away_and_one_moved_are_named_at_the_next_pull(
    phone, live_server, postman_day
):
    make = live_server.make
    page = phone.new_page()
    Pwa(page, live_server).on_the_round(postman_day.postman.username)
    page.wait_for_timeout(500)
    assert not page.locator('[data-notice="round-changed"]').count()  # the first download is no change
    new = make.item(recipient_name="Lý Thị Mai", address_line="Ấp Tân Lập", commune="Xã Tân Lập")
    moved_to(live_server, new, postman_day.round.id, 6)
    colleague = make.user("postman", full_name="Đỗ Văn Tâm")
    given = postman_day.deliveries[1]
    make.round(colleague, items=[given])
    later = postman_day.to_fail
    with live_server.app.app_context():
        tomorrow = make.round(postman_day.postman, postman_day.round.round_date + timedelta(days=1))
    moved_to(live_server, later, tomorrow.id, 1)
    pull_now(page)
    notice = page.locator('[data-notice="round-changed"]')
    notice.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-change]').length === 3")
    lines = {li.get_attribute("data-change"): li.inner_text() for li in notice.locator("li").all()}
    assert lines == {
        "added": f"Thêm vào chuyến: {new.code} – Lý Thị Mai",
        "removed": f"Đã bỏ khỏi chuyến: {given.code} – Trần Văn Đức (giao cho bưu tá khác hoặc bị hủy)",
        "moved": f"Chuyển sang ngày khác: {later.code} – Võ Minh Đạt",
    }
    assert "Chuyến phát vừa thay đổi (3)" in notice.inner_text()
    pwa = Pwa(page, live_server)
    pwa.wait_for_stops(4)  # the list follows: the new one in, the two others out
    notice.locator('[data-change="added"] a').click()  # the new stop opens from the notice
    page.wait_for_selector(f'.item[data-item-id="{new.id}"]')
    page.click('[data-action="dismiss-changes"]')
    assert not notice.count()


def test_the_notice_speaks_english_when_the_postman_chose_it(phone, live_server, postman_day):
    page = phone.new_page()
    Pwa(page, live_server).on_the_round(postman_day.postman.username)
    page.click("button.lang")
    make = live_server.make
    new = make.item(recipient_name="Lý Thị Mai")
    moved_to(live_server, new, postman_day.round.id, 6)
    pull_now(page)
    page.wait_for_selector('[data-change="added"]')
    assert page.inner_text('[data-change="added"]') == f"Added to the round: {new.code} – Lý Thị Mai"


def test_dark_mode_follows_the_phone_and_every_text_stays_readable(browser, live_server, postman_day):
    light = browser.new_context(**PHONE, permissions=["geolocation"], geolocation=AT_THE_DOOR)
    dark = browser.new_context(
        **PHONE, permissions=["geolocation"], geolocation=AT_THE_DOOR, color_scheme="dark"
    )
    try:
        backgrounds = {}
        for added, (name, context) in enumerate((("light", light), ("dark", dark))):
            page = context.new_page()
            pwa = Pwa(page, live_server).on_the_round(postman_day.postman.username, stops=5 + added)
            backgrounds[name] = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            new = live_server.make.item(recipient_name=f"Người nhận {name}")
            moved_to(live_server, new, postman_day.round.id, 6 + added)
            pull_now(page)
            page.wait_for_selector('[data-notice="round-changed"]')
            assert low_contrast(page) == [], (name, "round")
            pwa.open_item(postman_day.deliveries[1].id)  # a government fee, the totals, the actions
            assert low_contrast(page) == [], (name, "stop")
            page.click('[data-action="deliver"]')
            page.wait_for_selector("form.capture")
            assert low_contrast(page) == [], (name, "deliver form")
            page.click('[data-action="save"]')  # the errors box and the required marks
            page.wait_for_selector("form.capture[data-state=error]")
            assert low_contrast(page) == [], (name, "errors")
        assert backgrounds["light"] != backgrounds["dark"]
        assert backgrounds["dark"] == "rgb(15, 19, 25)"
    finally:
        light.close()
        dark.close()
