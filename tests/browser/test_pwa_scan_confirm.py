"""Scan to confirm: at the door the postman scans the envelope's barcode (the UPU S10 code as the
Code 128 the label carries, filmed by Chromium's fake camera) before saving. This stop's code says
"right item"; another stop's code says clearly it is the wrong item and the Save is blocked until the
postman overrides it with a reason, which the supervisor then reads in the proof's note; at a door
with several items, scanning another item's envelope ticks it to hand over together; the seal number
of a collected dossier is scanned into its field."""

from __future__ import annotations

from backend.extensions import db
from backend.models import Item
from tests.browser.conftest import Pwa
from tests.factories import proofs_of
from tests.kit.barcodes import code128_picture, needs_node, read_codes
from tests.kit.images import photo_file


def on_the_round(context, live_server, postman_day) -> Pwa:
    return Pwa(context.new_page(), live_server).on_the_round(postman_day.postman.username)


def fill_delivery(pwa: Pwa, tmp_path) -> None:
    pwa.page.fill('[data-field="id_number"] input', "089123456789")
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path))
    pwa.page.fill('[data-field="receipt_number"] input', "BL-0001")
    pwa.wait_for_gps()


def test_the_right_envelopes_code_128_confirms_the_item(camera_showing, live_server, postman_day, tmp_path):
    item = postman_day.deliveries[0]
    pwa = on_the_round(camera_showing(code128_picture(item.code)), live_server, postman_day)
    pwa.wait_for_service_worker()
    pwa.page.context.set_offline(True)  # the decoder is precached: scanning works without signal
    pwa.open_item(item.id)
    pwa.page.click('[data-action="deliver"]')
    assert "[object Object]" not in pwa.page.inner_text("form.capture")  # no other item at this door
    pwa.page.click('[data-action="scan-envelope"]')
    pwa.page.wait_for_selector('[data-field="envelope"][data-state="match"]')
    assert pwa.page.inner_text(".envelope-check") == f"Đúng bưu gửi {item.code} của điểm dừng này."
    fill_delivery(pwa, tmp_path)
    pwa.save()
    assert pwa.store("proofs")[0]["summary"]["envelope_check"] == "match"


def test_a_wrong_envelope_blocks_the_save_until_overridden_with_a_reason(
    camera_showing, live_server, postman_day, tmp_path
):
    item, other = postman_day.deliveries[0], postman_day.deliveries[2]
    pwa = on_the_round(camera_showing(code128_picture(other.code)), live_server, postman_day)
    page = pwa.page
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')
    page.click('[data-action="scan-envelope"]')
    page.wait_for_selector('[data-field="envelope"][data-state="mismatch"]')
    assert page.inner_text(".envelope-check") == (
        f"SAI BƯU GỬI: mã {other.code} không phải bưu gửi của điểm dừng này ({item.code}). Kiểm tra lại phong bì."
    )
    fill_delivery(pwa, tmp_path)
    pwa.click_save()
    assert "quét đúng phong bì, hoặc đánh dấu" in page.inner_text("form.capture .errors")
    assert not pwa.store("outbox")
    page.check('[data-field="envelope_override"] input')
    pwa.click_save()
    assert "Ghi lý do lưu dù mã trên phong bì khác" in page.inner_text("form.capture .errors")
    assert not pwa.store("outbox")
    page.fill('[data-field="envelope_reason"] input', "Nhãn dán nhầm, đã gọi bưu cục xác nhận")
    pwa.save()
    pwa.wait_until_synced()
    (proof,) = proofs_of(live_server.app, item.id)
    assert proof.note == (
        f"Mã trên phong bì {other.code} khác mã bưu gửi {item.code}; lý do: Nhãn dán nhầm, đã gọi bưu cục xác nhận"
    )


def test_at_a_door_with_two_items_scanning_the_second_envelope_ticks_it(
    camera_showing, live_server, postman_day
):
    first, second = postman_day.deliveries[0], postman_day.deliveries[1]
    with live_server.app.app_context():  # the same house
        row = db.session.get(Item, second.id)
        row.address_line, row.commune = "Ấp Phước Lợi", "Xã Mong Thọ"
        db.session.commit()
    pwa = on_the_round(camera_showing(code128_picture(second.code)), live_server, postman_day)
    pwa.open_item(first.id)
    pwa.page.click('[data-action="deliver"]')
    assert not pwa.page.is_checked(f'[name="together-{second.id}"]')
    pwa.page.click('[data-action="scan-envelope"]')
    pwa.page.wait_for_function(f"() => document.querySelector('[name=\"together-{second.id}\"]').checked")
    assert (
        pwa.page.inner_text(".envelope-check")
        == f"Đã đánh dấu giao cùng lúc bưu gửi {second.code} (cùng địa chỉ)."
    )
    assert pwa.page.get_attribute('[data-field="envelope"]', "data-state") == "none"  # no wrong-item block


def test_the_seal_number_is_scanned_into_its_field(camera_showing, live_server, postman_day):
    pwa = on_the_round(camera_showing(code128_picture("NP-004711")), live_server, postman_day)
    pwa.open_item(postman_day.to_collect.id)
    pwa.page.click('[data-action="collect"]')
    pwa.page.click('[data-action="scan-seal"]')
    pwa.page.wait_for_function(
        "() => document.querySelector('[data-field=\"seal_number\"] input').value === 'NP-004711'"
    )


@needs_node
def test_the_camera_films_a_code_128_an_independent_decoder_reads(tmp_path):
    path = tmp_path / "label.png"
    code128_picture("RR123456785VN").save(path)
    assert read_codes(path, ("Code128",)) == [{"format": "Code128", "text": "RR123456785VN"}]
