"""Money and required fields at the door: amounts the Vietnamese way (26.000 ₫), the service fee and
the government fee apart, the total to collect on the stop and on the round list, a receipt number
required once money is taken; every required field marked before saving; long text says it was cut."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file


@pytest.fixture
def signed_in(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).open()
    pwa.login(postman_day.postman.username)
    pwa.wait_for_stops(5)
    return pwa


def marked(page, field: str) -> bool:
    """The field's label carries a visible " *"."""
    return page.locator(f'[data-field="{field}"] .req').first.is_visible()


def test_the_total_to_collect_is_on_the_round_and_the_stop_with_both_fees_apart(signed_in, postman_day):
    page, with_government_fee = signed_in.page, postman_day.deliveries[1]
    badges = page.eval_on_selector_all(".stop .chip.fee", "chips => chips.map(c => c.textContent)")
    assert badges == ["26.000 ₫", "36.000 ₫", "26.000 ₫", "36.000 ₫", "26.000 ₫"]

    signed_in.open_item(with_government_fee.id)
    assert page.inner_text(".collect-line") == "Tổng cần thu: 36.000 ₫"  # above the fold, by the actions
    fees = page.locator(".card", has=page.locator("h2", has_text="Phí")).inner_text()
    assert "Phí dịch vụ bưu chính\n26.000 ₫" in fees and "Lệ phí\n10.000 ₫" in fees
    assert "Tổng cần thu: 36.000 ₫" in fees


def test_money_taken_requires_a_receipt_number_and_none_taken_does_not(
    signed_in, live_server, postman_day, tmp_path
):
    pwa, page = signed_in, signed_in.page
    pwa.open_item(postman_day.deliveries[1].id)
    page.click('[data-action="deliver"]')
    # The form's own total (the stop screen it replaces has a "to collect" one; wait for the form's).
    expect(page.locator("form .fee-total")).to_have_text("Tổng đã thu: 36.000 ₫")
    assert marked(page, "receipt_number")
    pwa.click_save()
    assert "Đã thu tiền: hãy nhập số biên lai." in page.inner_text("form .errors")
    assert pwa.store("outbox") == []

    # Nothing taken (the citizen paid at the office): no receipt asked for.
    pwa.add_photo("photos", photo_file(tmp_path, 0))
    page.fill('[data-field="id_number"] input', "089123456789")
    pwa.sign("signature")
    page.fill('[data-field="fee_collected"] input', "0")
    page.fill('[data-field="government_fee_collected"] input', "0")
    expect(page.locator("form .fee-total")).to_have_text("Tổng đã thu: 0 ₫")
    assert not marked(page, "receipt_number")
    pwa.wait_for_gps()
    pwa.save()
    pwa.wait_until_synced()
    with live_server.app.app_context():
        attempt = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert (attempt.fee_collected, attempt.receipt_number) == (0, None)
        assert db.session.execute(db.select(db.func.count(FeeEntry.id))).scalar_one() == 0


def test_every_required_field_is_marked_before_saving_and_long_text_says_it_was_cut(signed_in, postman_day):
    pwa, page = signed_in, signed_in.page
    pwa.open_item(postman_day.deliveries[0].id)
    page.click('[data-action="deliver"]')
    page.wait_for_selector("form.capture-deliver")
    for field in ("receiver_name", "id_number", "signature", "photos", "receipt_number"):
        assert marked(page, field), field
    assert not marked(page, "note")
    page.check('[data-field="receiver_relation"] input[value="authorised"]')
    assert marked(page, "authorisation_letter")  # the stand-in's letter
    assert page.evaluate("document.activeElement.name") == "receiver_name"  # their name next, no tap
    page.check('[data-field="no_photo"] input')
    assert not marked(page, "photos")  # the camera is broken: no photo needed

    page.fill('[data-field="note"] textarea', "Nhờ hàng xóm gọi. " * 80)  # 1,440 characters
    assert len(page.input_value('[data-field="note"] textarea')) == 1000
    assert "Đã cắt bớt: ô này nhận tối đa 1000 ký tự." in page.inner_text('[data-field="note"]')

    page.once("dialog", lambda dialog: dialog.accept())  # leave the half-filled form
    page.click("a.back")
    pwa.open_item(postman_day.to_fail.id)
    page.click('[data-action="fail"]')
    page.wait_for_selector("form.capture-fail")
    assert marked(page, "reason_code")


def test_the_phone_writes_version_2_mutations_whose_cash_the_server_checks_for_a_receipt(
    signed_in, live_server, postman_day, tmp_path
):
    """The app's proofs say `v: 2`, so the server holds them to the receipt rule too (a v2 cash
    proof without one is rejected `receipt-required`: tests/test_sync_receipts.py); this one has it."""
    pwa, page = signed_in, signed_in.page
    page.context.set_offline(True)
    pwa.deliver(postman_day.deliveries[0], photo_file(tmp_path, 0), receipt="BL-0777")
    (queued,) = pwa.store("outbox")
    assert (queued["v"], queued["data"]["fee_collected"], queued["data"]["receipt_number"]) == (
        2,
        26000,
        "BL-0777",
    )
    page.context.set_offline(False)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        entry = db.session.execute(db.select(FeeEntry)).scalar_one()
        assert (entry.service_fee, entry.receipt_number) == (26_000, "BL-0777")
