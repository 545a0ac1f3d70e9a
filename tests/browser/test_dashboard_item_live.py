"""An item's page stays live: a supervisor has Bình's item open (moved from Lan's round to Minh's)
when Lan's phone, back in coverage, sends the delivery she made offline; the item's version does not
change (the proof is flagged, the item stays on Minh's round), yet within a poll the page shows the
proof, its flag and the accept / reject form, without a reload. A colleague then rejects it: the page
shows the rejection and the form goes away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import DeliveryAttempt, Item
from tests.browser.test_dashboard_story import sign_in
from tests.kit.images import jpeg_bytes
from tests.kit.phone import Phone

pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


def test_a_proof_arriving_and_a_colleagues_review_appear_on_the_open_item_page_without_reload(
    page, server, today, supervisor, lan_and_minh
):
    make = server.make
    colleague = make.user("supervisor", full_name="Đặng Văn Đồng Nghiệp")
    lan, minh = lan_and_minh
    item = make.item(recipient_name="Nguyễn Văn Bình")
    lan_round, minh_round = make.round(lan, today), make.round(minh, today)
    client = server.app.test_client()
    office = Phone(client, colleague.username).login().headers
    assert (
        client.post(
            f"/api/rounds/{lan_round.id}/assign", json={"item_ids": [item.id]}, headers=office
        ).status_code
        == 200
    )
    lan_phone = Phone(client, lan.username).login()
    lan_phone.pull()
    lan_phone.deliver(item.id, seed=5, photo=jpeg_bytes(seed=5))  # offline
    assert (
        client.post(
            f"/api/rounds/{minh_round.id}/assign", json={"item_ids": [item.id]}, headers=office
        ).status_code
        == 200
    )
    with server.app.app_context():
        version = db.session.get(Item, item.id).version

    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, supervisor)
    page.goto(f"{server.url}/dashboard/#/items/{item.id}")
    expect(page.locator("h1")).to_have_text(f"Bưu gửi {item.code}")
    story = page.locator("ol.timeline li .what")
    expect(story).to_have_count(2)  # assigned, reassigned
    expect(page.locator(".item-proof")).to_have_count(0)
    page.evaluate("window.__notReloaded = true")

    lan_phone.sync()  # the flagged proof arrives; the item itself does not change
    with server.app.app_context():
        assert db.session.get(Item, item.id).version == version
        proof_id = db.session.execute(
            db.select(DeliveryAttempt.id).where(DeliveryAttempt.item_id == item.id)
        ).scalar_one()

    expect(story.nth(2)).to_contain_text(f"Bằng chứng #{proof_id}: Phát thành công · gắn cờ", timeout=6_000)
    proof = page.locator(f'.item-proof[data-proof-id="{proof_id}"]')
    expect(proof).to_have_class("item-proof flagged")
    expect(proof.locator("form.review")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(
        "Bưu gửi vừa được người khác cập nhật; trang đã hiện bản mới."
    )

    rejected = client.post(
        f"/api/proofs/{proof_id}/reject", json={"reason": "Đã giao cho bưu tá khác"}, headers=office
    )
    assert rejected.status_code == 200, rejected.get_json()
    expect(story.last).to_have_text(
        f"Từ chối bằng chứng #{proof_id} — “Đã giao cho bưu tá khác”", timeout=6_000
    )
    expect(proof.locator("form.review")).to_have_count(0)
    assert page.evaluate("window.__notReloaded") is True  # redrawn in place, never reloaded
    assert errors == []
