"""On the dashboard: a supervisor accepts a proof delivered while the item had been given to another
postman, rejects another with a reason, and marks an overdue item as noted; each leaves the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import DeliveryAttempt, ExceptionAck, Item
from tests.browser.test_dashboard_story import sign_in
from tests.kit.phone import Phone

pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


def test_a_supervisor_accepts_one_flagged_proof_rejects_another_and_notes_an_overdue_item(
    page, server, today, supervisor, lan_and_minh
):
    make = server.make
    lan, minh = lan_and_minh
    accepted, rejected = make.item(recipient_name="Nguyễn Văn An"), make.item(recipient_name="Lê Thị Bé")
    late = make.item(recipient_name="Phạm Văn Cường", due_date=today - timedelta(days=2))
    make.round(lan, today, items=[accepted, rejected])
    minh_round = make.round(minh, today)
    client = server.app.test_client()
    phone = Phone(client, lan.username).login()
    phone.pull()
    phone.deliver(accepted.id, seed=1)  # offline...
    phone.deliver(rejected.id, seed=2)
    office = Phone(client, supervisor.username).login().headers
    moved = client.post(
        f"/api/rounds/{minh_round.id}/assign", json={"item_ids": [accepted.id, rejected.id]}, headers=office
    )
    assert moved.status_code == 200, moved.get_json()
    phone.sync()  # ... pushed after the reassignment: both flagged
    assert {o.get("flag") for o in phone.outcomes.values()} == {"item-reassigned"}

    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, supervisor)
    flagged = page.locator(f'.exception[data-kind="flagged_proof"][data-item-code="{accepted.code}"]')
    flagged.get_by_role("button", name="Xem bằng chứng").click()
    dialog = page.locator("dialog.proof")
    dialog.locator('[data-action="accept-proof"]').click()
    expect(dialog).to_have_count(0)
    expect(flagged).to_have_count(0)

    other = page.locator(f'.exception[data-kind="flagged_proof"][data-item-code="{rejected.code}"]')
    other.get_by_role("button", name="Xem bằng chứng").click()
    dialog.locator('[data-action="reject-proof"]').click()
    expect(dialog.locator("form.review .error")).to_have_text(
        "Hãy ghi lý do từ chối."
    )  # a reason is required
    dialog.locator("#review-note").fill("Người nhận báo chưa nhận được")
    dialog.locator('[data-action="reject-proof"]').click()
    expect(other).to_have_count(0)

    overdue = page.locator(f'.exception[data-kind="overdue"][data-item-code="{late.code}"]')
    overdue.locator('[data-action="acknowledge"]').click()
    expect(overdue).to_have_count(0)
    page.check("#exceptions-acknowledged")  # who and when stay visible on demand
    expect(overdue.locator(".exc-ack")).to_contain_text("Đã ghi nhận bởi Hồ Thị Giám Sát")
    expect(overdue.locator('[data-action="acknowledge"]')).to_have_count(0)
    assert errors == []

    with server.app.app_context():
        assert db.session.get(Item, accepted.id).status == "delivered"
        assert db.session.get(Item, rejected.id).status == "assigned"
        reviews = dict(db.session.execute(db.select(DeliveryAttempt.item_id, DeliveryAttempt.review)).all())
        assert reviews == {accepted.id: "accepted", rejected.id: "rejected"}
        ack = db.session.execute(db.select(ExceptionAck)).scalar_one()
        assert (ack.kind, ack.acknowledged_by_id) == ("overdue", supervisor.id)
