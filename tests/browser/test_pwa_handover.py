"""A handover record on the phone (biên bản bàn giao): at the agency's desk, offline, the postman
hands over the dossiers collected today by scanning each envelope (one label's Code 128, the other the
QR the dashboard prints), is told clearly that a third envelope cannot go on this record, types the
seal number, has the agency's officer name themself and sign, and saves. The phone keeps one
`handover` mutation (a double tap saves once), the sync screen lists it, and once there is signal the
server has one record with exactly those two items, now with the agency."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from backend.extensions import db
from backend.models import Handover, Item, User
from tests.browser.conftest import Pwa
from tests.kit.barcodes import camera_video, code128_picture, qr_picture


@dataclass
class AgencyDesk:
    postman: User
    dossiers: list[Item]  # collected today, for the same agency
    delivery: Item  # a result still to deliver: it cannot go to the agency


@pytest.fixture
def agency_desk(live_server) -> AgencyDesk:
    make = live_server.make
    postman = make.user("postman", full_name="Lê Văn Bưu")
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Mong Thọ")
    dossiers = [
        make.item(direction="collect", agency_id=agency.id, recipient_name=name)
        for name in ("Đặng Thị Thu", "Huỳnh Văn Lộc")
    ]
    delivery = make.item(agency_id=agency.id, recipient_name="Nguyễn Thị Hồng")
    make.round(postman, items=[*dossiers, delivery])
    with live_server.app.app_context():  # both dossiers were collected earlier today
        for dossier in dossiers:
            db.session.get(Item, dossier.id).status = "collected"
        db.session.commit()
    return AgencyDesk(postman, dossiers, delivery)


def scan(pwa: Pwa, camera, picture) -> None:
    """Hold an envelope up to the camera (Chromium reads the fake camera's file again on each start)."""
    camera_video(camera, picture)
    verdict = ".handover-lines .envelope-check"
    before = pwa.page.inner_text(verdict) if pwa.page.is_visible(verdict) else ""
    pwa.page.click('[data-action="scan-handover-item"]')
    pwa.page.wait_for_function(
        "([selector, before]) => { const p = document.querySelector(selector);"
        " return !p.hidden && p.textContent !== before }",
        arg=[verdict, before],
    )


def test_a_handover_to_the_agency_scanned_signed_and_saved_offline(
    camera_showing, live_server, agency_desk, tmp_path
):
    first, second = agency_desk.dossiers
    wrong = agency_desk.delivery
    pwa = Pwa(camera_showing(code128_picture(first.code)).new_page(), live_server)
    camera = tmp_path / "camera-0.y4m"  # the file the fake camera plays
    pwa.open().login(agency_desk.postman.username)
    pwa.page.wait_for_function("() => document.querySelectorAll('.stop').length === 3")
    pwa.wait_for_service_worker()
    pwa.page.context.set_offline(True)
    page = pwa.page

    page.click('[data-action="handover"]')
    page.wait_for_selector("main[data-screen=handover]")
    assert page.is_checked('[data-field="direction"] input[value="post_to_agency"]')
    assert page.locator("select[name=agency_id] option:checked").inner_text() == (
        "Trung tâm Phục vụ hành chính công xã Mong Thọ"
    )
    # The two dossiers are offered; the result still to deliver is not.
    assert page.locator(".handover-line:not([hidden])").count() == 2
    assert not page.locator(f'.handover-line[data-item-id="{wrong.id}"]').is_visible()

    scan(pwa, camera, code128_picture(first.code))
    assert page.is_checked(f'[name="line-{first.id}"]')
    assert (
        page.inner_text(".handover-lines .envelope-check")
        == f"Đã thêm {first.code} – Đặng Thị Thu vào biên bản."
    )

    scan(pwa, camera, qr_picture(second.code))
    assert page.is_checked(f'[name="line-{second.id}"]')
    assert page.inner_text(".handover-lines [data-lines]") == "Đã chọn 2 bưu gửi"

    scan(pwa, camera, code128_picture(wrong.code))
    verdict = page.locator(".handover-lines .envelope-check")
    assert verdict.get_attribute("data-match") == "false"
    assert verdict.inner_text() == (
        f"Bưu gửi {wrong.code} đang “Đang phát”: không bàn giao theo chiều “Giao cho cơ quan” được."
    )
    assert page.inner_text(".handover-lines [data-lines]") == "Đã chọn 2 bưu gửi"
    scan(pwa, camera, qr_picture("EE123456785VN"))  # another post office's envelope
    assert (
        verdict.inner_text() == "Mã EE123456785VN không phải bưu gửi trên máy này: không thêm vào biên bản."
    )

    page.fill('[data-field="seal_number"] input', "NP-2026-0042")
    page.fill('[data-field="officer_name"] input', "Trần Thị Mai")
    pwa.sign("officer_signature")
    page.dblclick('[data-action="save"]')  # a double tap saves once
    page.wait_for_selector("main[data-screen=sync]")
    page.wait_for_function("() => !document.body.dataset.tapGuard")  # the double tap is over
    (entry,) = pwa.store("outbox")
    assert entry["type"] == "handover" and entry.get("item_id") is None
    assert entry["data"]["lines"] == [{"item_id": first.id}, {"item_id": second.id}]
    assert [a["kind"] for a in entry["attachments"]] == ["signature"]
    assert entry["data"]["seal_number"] == "NP-2026-0042" and not entry["data"].get("note")
    assert "Biên bản bàn giao" in page.inner_text(".queue")
    assert not pwa.store("drafts")

    page.context.set_offline(False)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        (record,) = db.session.execute(db.select(Handover)).unique().scalars().all()
        assert record.direction == "post_to_agency"
        assert record.officer_name == "Trần Thị Mai"
        assert record.postman_id == agency_desk.postman.id
        assert sorted(line.item_id for line in record.lines) == sorted([first.id, second.id])
        assert (record.seal_number, record.note) == ("NP-2026-0042", None)
        # The officer's signature is kept with the record, its file sent whole by this postman.
        assert [(a.kind, a.sha256) for a in record.attachments] == [
            ("signature", entry["attachments"][0]["sha256"])
        ]
        assert record.attachments[0].file.verified
        assert db.session.get(Item, first.id).status == "handed_to_agency"
        assert db.session.get(Item, wrong.id).status == "assigned"
    # Handed over: the dossiers are not offered again.
    page.click("a.brand")
    page.click('[data-action="handover"]')
    page.wait_for_selector("main[data-screen=handover]")
    assert not page.locator(".handover-line:not([hidden])").count()


def test_a_half_filled_handover_survives_a_reload(phone, live_server, agency_desk):
    first, second = agency_desk.dossiers
    pwa = Pwa(phone.new_page(), live_server)
    pwa.open().login(agency_desk.postman.username)
    page = pwa.page
    page.wait_for_function("() => document.querySelectorAll('.stop').length === 3")
    page.click('[data-action="handover"]')
    page.check(f'[name="line-{second.id}"]')
    page.fill('[data-field="officer_name"] input', "Trần Thị Mai")
    pwa.wait_for_draft(**{"officer_name#0": "Trần Thị Mai", f"line-{second.id}#0": True})
    page.reload()
    page.wait_for_selector('form.capture-handover[data-draft="restored"]')
    assert page.is_checked(f'[name="line-{second.id}"]')
    assert not page.is_checked(f'[name="line-{first.id}"]')
    assert page.input_value('[data-field="officer_name"] input') == "Trần Thị Mai"
