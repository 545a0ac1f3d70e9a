"""End of day: a postman delivers three results (two paid in cash, one by VietQR transfer), hands the
day's cash to the post office from the phone with no network, and syncs; the supervisor's Today page
then shows that postman's cash collected, handed over and outstanding, in Vietnamese formats."""

from __future__ import annotations

from playwright.sync_api import expect

from backend.extensions import db
from backend.models import CashHandover, PostOffice
from tests.browser.conftest import Pwa, sign_in_to_dashboard
from tests.kit.images import photo_file

ACCOUNT = {"bank_bin": "970405", "bank_account": "1500201234567", "bank_account_name": "BUU DIEN MINH LUONG"}


def two_paid_in_cash(phone, live_server, postman, tmp_path, stops=2):
    """A round of `stops` results with a 26.000 ₫ service fee each; offline, the first two delivered
    and paid in cash."""
    names = ("Nguyễn Thị Hồng", "Trần Văn Đức", "Phạm Thị Ánh")[:stops]
    items = [
        live_server.make.item(
            recipient_name=name, service_fee=26_000, government_fee=0, leg_distance_m=300 * (n + 1)
        )
        for n, name in enumerate(names)
    ]
    live_server.make.round(postman, items=items)
    pwa = Pwa(phone.new_page(), live_server)
    pwa.ready_offline(postman.username, stops=stops)
    pwa.deliver(items[0], photo_file(tmp_path, 0), receipt="BL-0001", seed=1)
    pwa.deliver(items[1], photo_file(tmp_path, 1), receipt="BL-0002", seed=2)
    return pwa, items


def test_a_postman_hands_over_the_days_cash_offline_and_the_supervisor_sees_it_settled(
    phone, page, live_server, tmp_path
):
    make = live_server.make
    with live_server.app.app_context():
        office = db.session.get(PostOffice, make.default_office_id())
        for name, value in ACCOUNT.items():
            setattr(office, name, value)
        db.session.commit()
    postman = make.user("postman", full_name="Lê Văn Bưu")
    supervisor = make.user("supervisor", full_name="Trần Thị Giám")
    pwa, items = two_paid_in_cash(phone, live_server, postman, tmp_path, stops=3)
    app = pwa.page
    pwa.open_item(items[2].id)
    app.click('[data-action="deliver"]')
    app.check('[data-field="service_fee_payment"] input[value="transfer"]')
    app.fill('[data-field="id_number"] input', "089123456789")
    pwa.sign("signature", 3)
    pwa.add_photo("photos", photo_file(tmp_path, 2))
    pwa.wait_for_gps()
    pwa.save()

    # Cuối ngày, still offline: what I collected comes from the proofs saved on the phone.
    app.click("a.brand")
    app.click('[data-action="end-of-day"]')
    app.wait_for_selector("main[data-screen=day]")
    money = app.locator("#day-money")
    expect(money.locator('[data-money="cash"] td')).to_have_text("52.000 ₫")
    expect(money.locator('[data-money="transfer"] td')).to_have_text("26.000 ₫")
    expect(money.locator('[data-money="left"] td')).to_have_text("52.000 ₫")
    assert app.locator("#day-items li").count() == 3
    hand_over = app.locator('[data-action="hand-over-cash"]')
    expect(hand_over).to_have_text("Nộp 52.000 ₫ tiền mặt cho bưu cục")
    hand_over.dblclick()  # a double tap hands over once

    record = app.locator("#day-handovers li")
    expect(record).to_have_count(1)
    expect(record).to_have_attribute("data-state", "queued")
    expect(record).to_contain_text("Đã lưu trên máy, chờ gửi")
    expect(money.locator('[data-money="left"] td')).to_have_text("0 ₫")
    expect(hand_over).to_be_disabled()
    outbox = pwa.store("outbox")
    assert [m["type"] for m in outbox] == ["deliver", "deliver", "deliver", "cash_handover"]
    assert outbox[-1]["data"]["service_fee_cash"] == 52_000 and outbox[-1].get("item_id") is None

    app.context.set_offline(False)
    pwa.wait_until_synced()
    expect(record).to_have_attribute("data-state", "synced")
    expect(record).to_contain_text("Máy chủ đã nhận lúc")
    with live_server.app.app_context():
        stored = db.session.execute(db.select(CashHandover)).scalar_one()
        assert (stored.postman_id, stored.service_fee_cash, stored.status) == (postman.id, 52_000, "declared")

    # The supervisor's Today page: the phone's figures, to the đồng.
    sign_in_to_dashboard(page, live_server, supervisor)
    row = page.locator(f'#cash-table tr[data-postman-id="{postman.id}"]')
    expect(row.locator('[data-cash="cash_collected"]')).to_contain_text("52.000 ₫")
    expect(row.locator('[data-cash="transfer_collected"]')).to_have_text("26.000 ₫")
    expect(row.locator('[data-cash="handed_over"]')).to_have_text("52.000 ₫")
    expect(row.locator('[data-cash="outstanding"]')).to_have_text("0 ₫")
    expect(row.locator('[data-cash="awaiting_receipt"]')).to_have_text("52.000 ₫")
    row.get_by_role("button", name="Xác nhận đã nhận").click()
    expect(row.locator('[data-cash="awaiting_receipt"]')).to_have_text("0 ₫")
    expect(row.locator("[data-cash-handover]")).to_have_attribute("data-status", "received")
    expect(row.locator("[data-cash-handover]")).to_contain_text("đã nhận: Trần Thị Giám")


def test_a_postman_hands_over_part_of_the_days_cash_and_the_rest_stays_to_hand_over(
    phone, live_server, tmp_path
):
    make = live_server.make
    postman = make.user("postman", full_name="Lê Văn Bưu")
    pwa, items = two_paid_in_cash(phone, live_server, postman, tmp_path)
    app = pwa.page

    app.click("a.brand")
    app.click('[data-action="end-of-day"]')
    app.wait_for_selector("main[data-screen=day]")
    money = app.locator("#day-money")
    service = app.locator("#hand-service")
    hand_over = app.locator('[data-action="hand-over-cash"]')
    expect(service).to_have_value("52.000")  # all of it, unless I say otherwise
    assert not app.locator("#hand-government").count()  # no government fee taken in cash today

    service.fill("60.000")  # more than I hold: refused on the phone
    expect(hand_over).to_be_disabled()
    expect(app.locator("#hand-rest")).to_have_text("Nhiều hơn số tiền mặt đang giữ.")
    service.fill("30.000")  # keeping a float
    expect(hand_over).to_have_text("Nộp 30.000 ₫ tiền mặt cho bưu cục")
    expect(app.locator("#hand-rest")).to_have_text("Giữ lại 22.000 ₫: vẫn còn phải nộp sau.")
    hand_over.tap()

    expect(app.locator("#day-handovers li")).to_have_count(1)
    expect(money.locator('[data-money="handed"] td')).to_have_text("30.000 ₫")
    expect(money.locator('[data-money="left"] td')).to_have_text("22.000 ₫")  # carried
    expect(service).to_have_value("22.000")
    expect(hand_over).to_have_text("Nộp 22.000 ₫ tiền mặt cho bưu cục")

    app.context.set_offline(False)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        stored = db.session.execute(db.select(CashHandover)).scalar_one()
        assert (stored.service_fee_cash, stored.government_fee_cash, stored.flag_reason) == (30_000, 0, None)
