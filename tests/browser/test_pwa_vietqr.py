"""VietQR at the door: the postman marks a fee as paid by transfer and the stop shows a payment QR
built on the phone, offline, for the post office's account; a QR read back from the screen by an
independent decoder (zxing-cpp, tests/kit/read_qr.mjs) and parsed from the spec (tests/test_vietqr.py)
pays that account the amount for this item. Without an account the phone says so."""

from __future__ import annotations

import time

from backend.extensions import db
from backend.models import Agency, FeeEntry, Item, PostOffice
from tests.browser.conftest import Pwa
from tests.kit.barcodes import needs_node, read_qr
from tests.kit.images import photo_file
from tests.test_vietqr import a_transfer, decode

ACCOUNT = {"bank_bin": "970405", "bank_account": "1500201234567", "bank_account_name": "BUU DIEN MINH LUONG"}
AGENCY_ACCOUNT = {
    "bank_bin": "970415",
    "bank_account": "113366668888",
    "bank_account_name": "UBND XA MONG THO",
}

pytestmark = needs_node


def the_office_has(live_server, **account) -> None:
    _give_account(live_server, PostOffice, live_server.make.default_office_id(), account)


def the_agency_of_has(live_server, item, **account) -> int:
    """The item's agency gets `account`; returns the agency's id."""
    with live_server.app.app_context():
        agency_id = db.session.get(Item, item.id).agency_id
    _give_account(live_server, Agency, agency_id, account)
    return agency_id


def _give_account(live_server, model, row_id: int, account: dict) -> None:
    with live_server.app.app_context():
        row = db.session.get(model, row_id)
        for name, value in account.items():
            setattr(row, name, value)
        db.session.commit()


def test_a_service_fee_paid_by_vietqr_shows_a_qr_an_independent_decoder_reads_as_this_payment(
    phone, live_server, postman_day, tmp_path
):
    the_office_has(live_server, **ACCOUNT)
    item = postman_day.deliveries[1]  # 26.000 ₫ service fee, 10.000 ₫ government fee
    pwa = Pwa(phone.new_page(), live_server)
    pwa.ready_offline(postman_day.postman.username)  # the QR is built with no network at all
    page = pwa.page
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')

    page.check('[data-field="service_fee_payment"] input[value="transfer"]')
    qr = page.locator('[data-vietqr="service"] canvas')
    qr.scroll_into_view_if_needed()
    assert qr.is_visible()
    assert page.inner_text('[data-vietqr="service"] .hint') == (
        "Quét mã để chuyển 26.000 ₫ cho BUU DIEN MINH LUONG, TK 1500201234567"
    )
    shown = page.get_attribute('[data-vietqr="service"]', "data-payload")
    qr.screenshot(path=str(tmp_path / "vietqr.png"))
    assert read_qr(tmp_path / "vietqr.png") == [shown]
    assert decode(shown) == a_transfer("970405", "1500201234567", 26000, item.code)
    # The amount typed is the amount asked for.
    page.fill('[data-field="fee_collected"] input', "30000")
    assert decode(read_qr_of(page, tmp_path))["amount"] == 30000
    page.fill('[data-field="fee_collected"] input', "26000")

    # The agency has no account configured: the phone says so instead of showing a QR.
    page.check('[data-field="government_fee_payment"] input[value="transfer"]')
    assert page.inner_text('[data-vietqr="government"]') == (
        "Cơ quan chưa khai báo tài khoản nhận lệ phí: hãy thu tiền mặt."
    )
    assert not page.locator('[data-vietqr="government"] canvas').count()
    page.check('[data-field="government_fee_payment"] input[value="cash"]')
    assert page.get_attribute(".fee-total + .hint", "data-cash") == "10000"

    page.fill('[data-field="id_number"] input', "089123456789")
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path, 0))
    page.fill('[data-field="receipt_number"] input', "BL-0042")  # the cash part still has a receipt
    pwa.wait_for_gps()
    pwa.save()
    page.context.set_offline(False)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        entry = db.session.execute(db.select(FeeEntry)).scalar_one()
        assert (entry.service_fee, entry.service_fee_payment) == (26_000, "transfer")
        assert (entry.government_fee, entry.government_fee_payment) == (10_000, "cash")


def read_qr_of(page, tmp_path, kind: str = "service") -> str:
    png = tmp_path / f"vietqr-{kind}-again.png"
    qr = page.locator(f'[data-vietqr="{kind}"] canvas')
    qr.evaluate("(canvas) => canvas.scrollIntoView({ block: 'center' })")  # clear of the sticky header
    qr.screenshot(path=str(png))
    (text,) = read_qr(png)
    return text


def test_without_the_offices_account_the_phone_says_so_and_takes_cash(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).open()
    pwa.login(postman_day.postman.username)
    pwa.wait_for_stops(5)
    page = pwa.page
    pwa.open_item(postman_day.deliveries[0].id)
    page.click('[data-action="deliver"]')
    page.check('[data-field="service_fee_payment"] input[value="transfer"]')
    assert page.inner_text('[data-vietqr="service"]') == (
        "Bưu cục chưa khai báo tài khoản nhận VietQR: hãy thu tiền mặt."
    )
    assert not page.locator("canvas.vietqr-code").count()
    pwa.click_save()
    assert "Bưu cục chưa khai báo tài khoản nhận VietQR: hãy thu tiền mặt." in page.inner_text("form .errors")
    assert pwa.store("outbox") == []


def test_the_government_fee_qr_pays_the_agencys_own_account(phone, live_server, postman_day, tmp_path):
    """Once an admin gave the agency its account (PATCH /api/agencies/{id}), the pull carries it and
    the government fee's QR, built offline, pays the agency — not the post office."""
    the_office_has(live_server, **ACCOUNT)
    item = postman_day.deliveries[1]  # 10.000 ₫ government fee
    the_agency_of_has(live_server, item, **AGENCY_ACCOUNT)
    pwa = Pwa(phone.new_page(), live_server)
    pwa.ready_offline(postman_day.postman.username)
    page = pwa.page
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')
    page.check('[data-field="government_fee_payment"] input[value="transfer"]')
    assert page.inner_text('[data-vietqr="government"] .hint') == (
        "Quét mã để chuyển 10.000 ₫ cho UBND XA MONG THO, TK 113366668888"
    )
    shown = page.get_attribute('[data-vietqr="government"]', "data-payload")
    assert read_qr_of(page, tmp_path, "government") == shown
    assert decode(shown) == a_transfer("970415", "113366668888", 10000, item.code)


def test_an_account_given_to_the_agency_during_the_day_reaches_the_phone_at_its_next_pull(
    phone, live_server, postman_day, tmp_path
):
    """No new day's full download needed: the agency is on the change feed (sync/changes.py)."""
    the_office_has(live_server, **ACCOUNT)
    item = postman_day.deliveries[1]  # 10.000 ₫ government fee
    pwa = Pwa(phone.new_page(), live_server)
    pwa.on_the_round(postman_day.postman.username)
    page = pwa.page
    # The admin sets it (what PATCH /api/agencies/{id} does).
    agency_id = the_agency_of_has(live_server, item, **AGENCY_ACCOUNT)
    assert [a["bank"] for a in pwa.store("agencies") if a["id"] == agency_id] == [None]  # cash only so far

    page.context.set_offline(True)  # the phone syncs when the network comes back
    page.context.set_offline(False)
    deadline = time.monotonic() + 20
    while not [a for a in pwa.store("agencies") if a["id"] == agency_id and a["bank"]]:
        assert time.monotonic() < deadline, "the agency's account did not reach the phone"
        page.wait_for_timeout(200)

    page.context.set_offline(True)
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')
    page.check('[data-field="government_fee_payment"] input[value="transfer"]')
    shown = page.get_attribute('[data-vietqr="government"]', "data-payload")
    assert decode(read_qr_of(page, tmp_path, "government")) == decode(shown)
    assert decode(shown) == a_transfer("970415", "113366668888", 10000, item.code)
