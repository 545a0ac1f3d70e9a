"""Bad input at the door: each problem tells the postman plainly what to do, and nothing captured is lost."""

from __future__ import annotations

import time

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, Item
from backend.services.item_events import apply_event
from tests.browser.conftest import PHONE, Pwa
from tests.kit.images import photo_file

# Test switch: the next write of a blob fails as a full disk would.
FULL_DISK = """(() => {
  const put = IDBObjectStore.prototype.put
  IDBObjectStore.prototype.put = function (...args) {
    if (window.__diskFull && this.name === 'blobs') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    return put.apply(this, args)
  }
})()"""

EDIT_OUTBOX = """async ([seq, patch]) => {
  const db = await new Promise(ok => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result) })
  const store = db.transaction('outbox', 'readwrite').objectStore('outbox')
  const entry = await new Promise(ok => { store.get(seq).onsuccess = e => ok(e.target.result) })
  Object.assign(entry, patch.entry || {})
  Object.assign(entry.data, patch.data || {})
  await new Promise(ok => { store.put(entry).onsuccess = ok })
  db.close()
}"""


@pytest.fixture
def signed_in(phone, live_server, postman_day):
    phone.add_init_script(FULL_DISK)
    return Pwa(phone.new_page(), live_server).ready_offline(postman_day.postman.username)


def save_refused(pwa) -> str:
    """Tap Save; it must refuse, and the message is returned."""
    pwa.click_save()
    assert pwa.page.get_attribute("form.capture", "data-state") == "error"
    return pwa.page.inner_text("form .errors")


def start_delivery(pwa, item) -> None:
    """Open the stop, choose Deliver, and write the recipient's ID number and the receipt's (money
    is collected)."""
    pwa.open_item(item.id)
    pwa.page.click('[data-action="deliver"]')
    pwa.page.fill('[data-field="id_number"] input', "089123456789")
    pwa.page.fill('[data-field="receipt_number"] input', "BL-0001")


def test_an_empty_signature_is_refused_plainly_and_the_form_is_kept(signed_in, postman_day, tmp_path):
    page = signed_in.page
    start_delivery(signed_in, postman_day.deliveries[0])
    signed_in.add_photo("photos", photo_file(tmp_path))
    signed_in.wait_for_gps()
    assert "Chưa có: Chữ ký người nhận. Hãy ký vào khung." in save_refused(signed_in)
    assert signed_in.store("outbox") == []
    assert page.input_value('[data-field="id_number"] input') == "089123456789"
    signed_in.sign("signature")
    signed_in.save()
    assert len(signed_in.store("outbox")) == 1


def test_a_full_storage_is_reported_and_saving_again_works(signed_in, postman_day, tmp_path):
    page = signed_in.page
    start_delivery(signed_in, postman_day.deliveries[0])
    signed_in.sign("signature")
    signed_in.add_photo("photos", photo_file(tmp_path))
    signed_in.wait_for_gps()
    page.evaluate("window.__diskFull = true")
    assert "Bộ nhớ điện thoại đã đầy" in save_refused(signed_in)
    assert signed_in.store("outbox") == [] and signed_in.store("blobs") == []
    assert page.get_attribute('[data-field="photos"]', "data-count") == "1"  # what was captured is still here
    page.evaluate("window.__diskFull = false")  # the postman freed some space
    signed_in.save()
    [entry] = signed_in.store("outbox")
    assert entry["seq"] == 1  # the failed attempt did not spend a sequence number


def test_photos_that_cannot_be_used_are_refused_with_what_to_do(signed_in, postman_day, tmp_path):
    page = signed_in.page
    signed_in.open_item(postman_day.deliveries[0].id)
    page.click('[data-action="deliver"]')
    not_a_photo = tmp_path / "ghi-chu.txt"
    not_a_photo.write_text("không phải ảnh")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as handle:  # 41 MB: no phone camera makes that
        handle.truncate(41 * 1024 * 1024)
    status = '[data-field="photos"] .field-error'
    for path, message in (
        (not_a_photo, "Tệp này không phải ảnh"),
        (broken, "Không đọc được ảnh này"),
        (huge, "Ảnh quá lớn (41 MB)"),
    ):
        page.set_input_files('[data-field="photos"] input[type=file]', str(path))
        page.wait_for_function(f"() => document.querySelector('{status}').textContent.includes('{message}')")
    assert page.get_attribute('[data-field="photos"]', "data-count") == "0"

    # The camera is refused altogether: the postman says so, and the delivery is still recorded.
    page.fill('[data-field="id_number"] input', "089123456789")
    page.fill('[data-field="receipt_number"] input', "BL-0001")  # money collected: a receipt
    signed_in.sign("signature")
    signed_in.wait_for_gps()
    assert "Cần ít nhất một ảnh" in save_refused(signed_in)
    page.check('[data-field="no_photo"] input')
    signed_in.save()
    [entry] = signed_in.store("outbox")
    assert entry["data"]["note"].startswith("Không chụp được ảnh")
    assert [a["kind"] for a in entry["attachments"]] == ["signature"]


def test_without_a_gps_fix_the_proof_is_saved_after_a_warning_with_no_position(
    browser, live_server, postman_day
):
    context = browser.new_context(**PHONE)  # location permission refused
    try:
        pwa = Pwa(context.new_page(), live_server).on_the_round(postman_day.postman.username)
        pwa.open_item(postman_day.to_fail.id)
        pwa.page.click('[data-action="fail"]')
        pwa.page.wait_for_selector('[data-field="gps"][data-state="error"]')
        assert "Không có quyền vị trí" in pwa.page.inner_text('[data-field="gps"]')
        pwa.page.check('[data-field="reason_code"] input[value="refused"]')
        assert "Bấm Lưu lần nữa để lưu không có vị trí" in save_refused(pwa)
        pwa.save()  # the second tap saves: a delivery is never blocked by the sky
        pwa.wait_until_synced()
        with live_server.app.app_context():
            proof = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
            assert (proof.reason_code, proof.lat, proof.lon, proof.accuracy_m) == (
                "refused",
                None,
                None,
                None,
            )
    finally:
        context.close()


def test_rejected_and_flagged_work_shows_under_needs_attention_without_blocking_the_rest(
    signed_in, live_server, postman_day
):
    page = signed_in.page
    day = postman_day
    signed_in.fail(day.deliveries[0])
    signed_in.fail(day.deliveries[1])
    signed_in.fail(day.deliveries[2])
    page.evaluate(EDIT_OUTBOX, [2, {"data": {"reason_code": "asleep"}}])  # a mutation the server will refuse
    with live_server.app.app_context():  # meanwhile the office cancels the third item
        apply_event(db.session.get(Item, day.deliveries[2].id), "cancel")
        db.session.commit()
    signed_in.page.context.set_offline(False)
    page.wait_for_selector('#sync-indicator[data-pending="0"][data-attention="2"]')
    page.click("#sync-indicator")
    page.wait_for_selector('.attention li[data-reason="invalid-mutation"]')
    text = page.inner_text(".attention")
    assert "Dữ liệu không hợp lệ" in text and "Hãy báo giám sát viên" in text
    assert "Bưu gửi đã bị hủy" in text and "giám sát viên sẽ xử lý" in text
    with live_server.app.app_context():
        statuses = {i.id: i.status for i in db.session.execute(db.select(Item)).scalars()}
        assert statuses[day.deliveries[0].id] == "failed_attempt"  # the others went through
        assert statuses[day.deliveries[1].id] == "assigned"  # refused: the item did not move
        assert (
            db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 2
        )  # the flagged one is kept
    page.click("a.brand")
    signed_in.wait_for_stops(4)  # the cancelled item left the round once its proof was sent
    row = page.locator(f'.stop[data-item-id="{day.deliveries[1].id}"]')
    assert row.get_attribute("data-status") == "assigned" and "Cần xử lý" in row.inner_text()
    page.click("#sync-indicator")  # once the supervisor is told, the postman tidies the list
    page.locator('[data-action="dismiss"]').first.click()
    page.wait_for_selector('#sync-indicator[data-attention="1"]')


def test_work_left_unsynced_for_hours_raises_a_warning(signed_in, postman_day):
    signed_in.fail(postman_day.to_fail)
    three_hours_ago = (time.time() - 3 * 3600) * 1000
    signed_in.page.evaluate(EDIT_OUTBOX, [1, {"entry": {"created_at": three_hours_ago}}])
    signed_in.page.reload()
    signed_in.page.wait_for_selector('[data-banner="stale"]')
    assert "chưa đồng bộ hơn 2 giờ" in signed_in.page.inner_text('[data-banner="stale"]')
