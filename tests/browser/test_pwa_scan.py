"""Scan instead of type: Chromium's fake camera shows a generated code (a .y4m video made here) and the
app reads it with its bundled WebAssembly decoder (headless Chromium on Linux has no native
BarcodeDetector): an envelope's QR opens its stop; the QR of a chip ID card (CCCD) fills the ID
number and says whether the card's name is the recipient's, and the QR's other contents are kept
nowhere."""

from __future__ import annotations

import contextlib
import json

import pytest
import qrcode
from PIL import Image

from tests.browser.conftest import AT_THE_DOOR, CHROMIUM, CHROMIUM_ARGS, PHONE, Pwa

CCCD = "079301005678|025123456|{name}|01011990|Nữ|Ấp Phước Lợi, Xã Mong Thọ, An Giang|15082021"


def camera_video(tmp_path, text: str):
    """A 640×480 .y4m video (4:2:0) of a QR code holding `text`, on white, for --use-file-for-fake-video-capture."""
    code = qrcode.make(text, border=4, box_size=8).convert("L")
    side = min(440, code.size[0])
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code.resize((side, side), Image.NEAREST), ((640 - side) // 2, (480 - side) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    path = tmp_path / "camera.y4m"
    with path.open("wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            video.write(b"FRAME\n" + y + chroma + chroma)
    return path


@pytest.fixture
def camera_showing(browser_type, tmp_path):
    """camera_showing(text) → a phone whose back camera films a QR code of `text` (one browser each)."""
    with contextlib.ExitStack() as stack:

        def phone_filming(text: str):
            browser = browser_type.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera_video(tmp_path, text)}",
                ],
            )
            stack.callback(browser.close)
            context = browser.new_context(
                **PHONE, permissions=["geolocation", "camera"], geolocation=AT_THE_DOOR
            )
            context.set_default_timeout(20_000)
            return context

        yield phone_filming


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
    page.wait_for_timeout(400)  # the draft is written
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
