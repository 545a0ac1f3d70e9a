"""On the dashboard: a supervisor types a recipient's name without diacritics in the header's search
box, opens the item with the keyboard, reads its story (handed to Lan, reassigned to Minh, Lan's
delivery flagged), enlarges the photo, accepts the proof on the item's page, and the phones' next
pulls carry it: Minh's loses the item, Lan's shows it delivered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import DeliveryAttempt, Item
from tests.browser.test_dashboard_story import sign_in
from tests.kit.images import jpeg_bytes
from tests.kit.phone import Phone

pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


def test_search_without_diacritics_opens_the_item_whose_flagged_proof_is_accepted_and_the_phones_are_told(
    page, server, today, supervisor, lan_and_minh
):
    make = server.make
    lan, minh = lan_and_minh
    item = make.item(recipient_name="Nguyễn Văn Bình", address_line="Ấp Phước Lợi", commune="Xã Mong Thọ")
    make.item(recipient_name="Nguyễn Văn Bảy")  # a namesake the search also lists
    other_office = make.office(code="BC-KHAC", name="Bưu cục Giục Tượng")
    make.item(recipient_name="Nguyễn Văn Bình", office_id=other_office.id)  # never shown here
    lan_round, minh_round = make.round(lan, today), make.round(minh, today)
    client = server.app.test_client()
    office = Phone(client, supervisor.username).login().headers
    assigned = client.post(f"/api/rounds/{lan_round.id}/assign", json={"item_ids": [item.id]}, headers=office)
    assert assigned.status_code == 200, assigned.get_json()
    lan_phone = Phone(client, lan.username).login()
    lan_phone.pull()
    lan_phone.deliver(item.id, seed=3, photo=jpeg_bytes(seed=3))  # offline, while the office moves it
    moved = client.post(f"/api/rounds/{minh_round.id}/assign", json={"item_ids": [item.id]}, headers=office)
    assert moved.status_code == 200, moved.get_json()
    minh_phone = Phone(client, minh.username).login()
    minh_phone.pull()
    assert item.id in minh_phone.items
    lan_phone.sync()
    assert [o.get("flag") for o in lan_phone.outcomes.values()] == ["item-reassigned"]
    assert item.id not in lan_phone.items  # her phone let the item go to Minh

    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, supervisor)
    box = page.get_by_role("combobox", name="Tìm bưu gửi, chuyến, bưu tá")
    box.fill("nguyen van b")
    items = page.locator('.search-group[data-group="items"]')
    expect(items.locator(".search-group-head")).to_contain_text("2/2")  # not the other office's Bình
    box.fill("nguyen van binh")
    expect(items.locator(".search-group-head")).to_contain_text("1/1")
    expect(items.get_by_role("option")).to_have_text(
        f"{item.code} Nguyễn Văn Bình — Ấp Phước Lợi, Xã Mong Thọ · Đang phát"
    )
    box.press("ArrowDown")
    expect(items.get_by_role("option")).to_have_attribute("aria-selected", "true")
    box.press("Enter")

    expect(page).to_have_url(f"{server.url}/dashboard/#/items/{item.id}")
    expect(page.locator("h1")).to_have_text(f"Bưu gửi {item.code}")
    expect(page.locator('[data-field="item.recipient"]')).to_have_text("Nguyễn Văn Bình")
    story = page.locator("ol.timeline li")
    expect(story.locator(".what")).to_have_text(
        [
            f"Phân công: Tại bưu cục → Đang phát — chuyến ngày {today:%d/%m/%Y} của Trần Thị Lan",
            f"Phân công lại: từ chuyến ngày {today:%d/%m/%Y} của Trần Thị Lan sang chuyến ngày "
            f"{today:%d/%m/%Y} của Võ Văn Minh",
            f"Bằng chứng #{_proof_id(server, item.id)}: Phát thành công · gắn cờ (đã được giao cho bưu tá khác)",
            "Thu tiền: cước 26.000 ₫ (tiền mặt), phí 0 ₫ (tiền mặt), biên lai BL-3",
        ]
    )
    expect(story.nth(0).locator(".who")).to_have_text("Hồ Thị Giám Sát (giám sát)")
    expect(story.nth(2).locator(".who")).to_have_text("Trần Thị Lan (bưu tá)")
    # The actions its status allows: correct, reassign, cancel (no handover: it is out for delivery).
    actions = page.locator("#item-actions")
    expect(actions.locator('[data-action="save-item"]')).to_have_count(1)
    expect(actions.locator('[data-action="assign-item"]')).to_have_text("Phân công lại")
    expect(actions.locator('[data-action="cancel-item"]')).to_have_count(1)
    expect(actions.locator('[data-action="handover"]')).to_have_count(0)

    proof = page.locator(".item-proof.flagged")
    proof.get_by_role("button", name=f"Phóng to Ảnh — {item.code}").click()  # the photo, enlarged
    zoom = page.locator("dialog.zoom")
    for _ in range(3):
        zoom.locator('[data-action="zoom-in"]').click()
    sizes = zoom.locator("img").evaluate("img => [img.getBoundingClientRect().width, img.naturalWidth]")
    assert sizes[0] == 2 * sizes[1]  # three steps in from "fit": its own size, 1.5×, 2×
    zoom.get_by_role("button", name="Đóng").click()
    expect(zoom).to_have_count(0)

    proof.locator("#review-note").fill("Đã gọi người nhận: chị Lan đã phát")
    proof.locator('[data-action="accept-proof"]').click()
    expect(page.locator("#item-messages")).to_contain_text(
        f"Chấp nhận bằng chứng #{_proof_id(server, item.id)}"
    )
    expect(page.locator(".item-page [data-status]")).to_have_text("Đã phát")
    expect(story.last.locator(".what")).to_have_text(
        f"Chấp nhận bằng chứng #{_proof_id(server, item.id)} — “Đã gọi người nhận: chị Lan đã phát”"
    )
    expect(story.last.locator(".who")).to_have_text("Hồ Thị Giám Sát (giám sát)")
    expect(page.locator(".item-proof.flagged")).to_have_count(0)
    expect(actions).to_contain_text("Bưu gửi ở trạng thái cuối")
    assert errors == []

    minh_phone.pull()  # the phone that held the item: it is gone from Minh's round
    assert item.id not in minh_phone.items
    lan_phone.pull()  # and on Lan's, who delivered it, it is delivered
    assert lan_phone.items[item.id]["status"] == "delivered"
    with server.app.app_context():
        assert db.session.get(Item, item.id).status == "delivered"
        reviewed = db.session.execute(
            db.select(DeliveryAttempt).where(DeliveryAttempt.item_id == item.id)
        ).scalar_one()
        assert (reviewed.review, reviewed.reviewed_by_id) == ("accepted", supervisor.id)


def _proof_id(server, item_id: int) -> int:
    with server.app.app_context():
        return db.session.execute(
            db.select(DeliveryAttempt.id).where(DeliveryAttempt.item_id == item_id)
        ).scalar_one()


@pytest.fixture
def open_item(page, server, supervisor):
    """Hoa's item open on a supervisor's page; returns (item, a colleague's API client and headers)."""
    make = server.make
    colleague = make.user("supervisor", full_name="Đặng Văn Đồng Nghiệp")
    item = make.item(recipient_name="Lâm Thị Hoa", status="at_post_office")
    sign_in(page, server, supervisor)
    page.goto(f"{server.url}/dashboard/#/items/{item.id}")
    expect(page.locator("h1")).to_have_text(f"Bưu gửi {item.code}")
    client = server.app.test_client()
    return item, client, Phone(client, colleague.username).login().headers


def test_a_change_made_meanwhile_by_a_colleague_is_not_overwritten_from_the_item_page(
    page, server, open_item
):
    item, client, headers = open_item
    page.locator(".item-cancel input").fill("Cơ quan báo hủy")
    changed = client.patch(f"/api/items/{item.id}", json={"recipient_phone": "0933 222 111"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()

    # The page notices at its next poll, but does not redraw under the reason being typed.
    expect(page.locator("#item-reload")).to_be_visible(timeout=6_000)
    expect(page.locator(".item-cancel input")).to_have_value("Cơ quan báo hủy")
    page.locator('[data-action="cancel-item"]').click()
    expect(page.locator("#item-messages [role=alert]")).to_contain_text("vừa được người khác thay đổi")
    expect(page.locator('[data-field="item.phone"]')).to_have_text("0933 222 111")  # the newest version
    expect(page.locator(".item-page [data-status]")).to_have_text("Tại bưu cục")  # not cancelled
    expect(page.locator("ol.timeline li").last.locator(".what")).to_have_text("Sửa thông tin: Số điện thoại")
    expect(page.locator("ol.timeline li").last.locator(".who")).to_have_text(
        "Đặng Văn Đồng Nghiệp (giám sát)"
    )

    page.locator(".item-cancel input").fill("Cơ quan báo hủy")  # seen it: now it goes through
    page.locator('[data-action="cancel-item"]').click()
    expect(page.locator(".item-page [data-status]")).to_have_text("Đã hủy")
    with server.app.app_context():
        row = db.session.get(Item, item.id)
        assert (row.status, row.recipient_phone) == ("cancelled", "0933 222 111")


def test_the_item_page_shows_a_colleagues_change_by_itself_and_keeps_what_is_being_typed(page, open_item):
    item, client, headers = open_item

    # Nothing typed: the colleague's new phone number shows within a poll, and it is said.
    changed = client.patch(f"/api/items/{item.id}", json={"recipient_phone": "0933 222 111"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    expect(page.locator('[data-field="item.phone"]')).to_have_text("0933 222 111", timeout=6_000)
    expect(page.locator("#announcer")).to_have_text(
        "Bưu gửi vừa được người khác cập nhật; trang đã hiện bản mới."
    )

    # Typing the address while the colleague adds a note: the page keeps the address typed
    # and says the item changed; "Tải lại" shows the new version when the supervisor chooses.
    page.click(".item-edit summary")
    address = page.locator('.item-edit input[name="address_line"]')
    address.fill("Tổ 7, ấp Phước Lợi")
    changed = client.patch(f"/api/items/{item.id}", json={"note": "Gọi trước khi đến"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    expect(page.locator("#item-messages")).to_contain_text(
        "Trang chưa tải lại để giữ những gì bạn đang nhập.", timeout=6_000
    )
    page.wait_for_timeout(2_500)  # another poll: still not redrawn
    expect(address).to_have_value("Tổ 7, ấp Phước Lợi")
    page.click("#item-reload")
    expect(page.locator('.item-edit input[name="note"]')).to_have_value("Gọi trước khi đến")
