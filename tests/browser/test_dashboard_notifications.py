"""A supervisor reads, on an item's page, the messages its citizen got, and stops them.

The provider is the local gateway of tests/gateway.py (the providers are paid services outside
this machine); the message is sent by the same code the worker runs.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.domain.status import Event
from backend.extensions import db
from backend.models import Item, NotificationOptOut
from backend.services import notifications
from backend.services.item_events import apply_event
from tests.browser.conftest import sign_in_to_dashboard
from tests.gateway import sms_settings


@pytest.fixture
def live_server_config(gateway):
    return sms_settings(gateway, NOTIFY_TIMEOUT_SECONDS=2.0)


def test_the_supervisor_sees_the_messages_of_an_item_and_stops_them(page, server, gateway):
    make = server.make
    supervisor = make.user("supervisor", full_name="Hồ Thị Giám Sát")
    item = make.item(recipient_phone="0918 245 001")
    make.round(make.user("postman"), items=[item])
    with server.app.app_context():
        apply_event(db.session.get(Item, item.id), Event.DELIVER)
        db.session.commit()
        notifications.send_due()
    assert len(gateway.accepted) == 1

    sign_in_to_dashboard(page, server, supervisor, route=f"items/{item.id}", heading=f"Bưu gửi {item.code}")
    section = page.locator("#item-notifications")
    message = section.locator("li[data-event=delivered]")
    expect(message).to_contain_text("Đã giao (SMS)")
    expect(message).to_contain_text("Đã gửi")
    expect(message).to_contain_text(f"hồ sơ {item.code} đã được giao")

    page.click("#item-opt-out")
    expect(section.locator("#item-opted-out")).to_have_text("Người dân không nhận tin nhắn về bưu gửi này.")
    expect(page.locator("#item-timeline")).to_contain_text("Ngừng nhắn tin cho người dân")
    with server.app.app_context():
        assert db.session.execute(db.select(NotificationOptOut.item_id)).scalars().all() == [item.id]
