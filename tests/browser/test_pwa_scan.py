"""Scan instead of type: Chromium's fake camera shows a generated code (a .y4m video, `camera_showing`) and the
app reads it with its bundled WebAssembly decoder (headless Chromium on Linux has no native
BarcodeDetector): an envelope's QR opens its stop; the QR of a chip ID card (CCCD) fills the ID
number and says whether the card's name is the recipient's, and the QR's other contents are kept
nowhere."""

from __future__ import annotations

import json

from tests.browser.conftest import Pwa

CCCD = "079301005678|025123456|{name}|01011990|Nữ|Ấp Phước Lợi, Xã Mong Thọ, An Giang|15082021"


def signed_in(context, live_server, postman_day) -> Pwa:
    pwa = Pwa(context.new_page(), live_server).open()
    pwa.login(postman_day.postman.username)
    pwa.wait_for_stops(5)
    return pwa


def test_scanning_an_envelope_opens_its_stop(camera_showing, live_server, postman_day):
    item = postman_day.deliveries[2]
    pwa = signed_in(camera_showing(item.code), live_server, postman_day)
    pwa.page.click('[data-action="scan-item"]')
    pwa.page.wait_for_selector(f'.item[data-item-id="{item.id}"]')  # no typing, no scrolling


def test_a_cccd_whose_name_matches_fills_the_id_number_and_keeps_nothing_else(
    camera_showing, live_server, postman_day
):
    item = postman_day.deliveries[0]  # Nguyễn Thị Hồng; the card says it without diacritics, in capitals
    pwa = signed_in(camera_showing(CCCD.format(name="NGUYEN THI HONG")), live_server, postman_day)
    page = pwa.page
    pwa.wait_for_service_worker()
    page.context.set_offline(True)  # the decoder comes from the precache
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')
    page.click('[data-action="scan-cccd"]')
    page.wait_for_selector('.id-check[data-match="true"]')
    assert page.inner_text(".id-check") == "Tên trên thẻ khớp với Nguyễn Thị Hồng."
    assert page.input_value('[data-field="id_number"] input') == "079301005678"
    pwa.wait_for_draft(**{"id_number#0": "079301005678"})  # what the scan filled in is kept
    stored = json.dumps(
        [pwa.store(name) for name in ("drafts", "outbox", "proofs", "meta")], ensure_ascii=False, default=str
    )
    assert "025123456" not in stored and "01011990" not in stored and "15082021" not in stored


def test_a_cccd_with_another_name_is_said_not_to_match(camera_showing, live_server, postman_day):
    item = postman_day.deliveries[1]  # Trần Văn Đức
    pwa = signed_in(camera_showing(CCCD.format(name="Trần Văn Được")), live_server, postman_day)
    pwa.open_item(item.id)
    pwa.page.click('[data-action="deliver"]')
    pwa.page.click('[data-action="scan-cccd"]')
    pwa.page.wait_for_selector('.id-check[data-match="false"]')
    assert "KHÔNG khớp với Trần Văn Đức" in pwa.page.inner_text(".id-check")
