"""A citizen books a collection of a dossier at home on a cheap phone (360×640): only procedures
allowed by post are offered, the current commune is chosen (the old address kept beside it), and the
request lands in the supervisor's planning as a `collect` item with its tracking code shown."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Item


def test_the_booking_page_creates_a_collect_item_with_its_tracking_code(phone, live_server):
    make = live_server.make
    procedure = make.procedure(name="Đăng ký kết hôn")
    make.procedure(name="Cấp hộ chiếu phổ thông", allowed_by_post=False)
    make.agency(commune="Xã Thạnh Lộc", name="Trung tâm PVHCC xã Thạnh Lộc")
    page = phone.new_page()

    page.goto(f"{live_server.url}/book/")

    options = page.locator("#procedure_id option").all_inner_texts()
    assert "Đăng ký kết hôn" in options and "Cấp hộ chiếu phổ thông" not in options
    page.select_option("#procedure_id", str(procedure.id))
    page.fill("#name", "Phạm Thị Lan")
    page.fill("#phone", "0987654321")
    page.fill("#address_line", "Ấp Phước Lợi")
    page.select_option("#commune", "Xã Thạnh Lộc")
    page.fill("#old_address", "xã Mong Thọ, huyện Châu Thành, Kiên Giang")
    page.click("form button[type=submit]")

    code = page.locator("#booked-code")
    expect(code).to_have_text(re.compile(r"^CB\d{9}VN$"))
    tracking_code = code.inner_text()
    with live_server.app.app_context():
        item = db.session.execute(db.select(Item).where(Item.code == tracking_code)).scalar_one()
        assert (item.direction, item.status, item.commune) == ("collect", "registered", "Xã Thạnh Lộc")
        assert item.procedure_id == procedure.id and item.citizen_choice == "booked"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("#booked a.button")
    expect(page.locator("h2.status")).to_contain_text("Đã nhận yêu cầu thu gom")


def test_a_citizen_who_types_an_old_ward_chooses_among_the_current_ones_it_was_split_into(phone, live_server):
    # Phường 4 of the old Quận 3 (Ho Chi Minh City) went to Phường Bàn Cờ and Phường Xuân Hòa in 2025.
    make = live_server.make
    procedure = make.procedure(name="Đăng ký kết hôn")
    for commune in ("Phường Bàn Cờ", "Phường Xuân Hòa"):
        make.agency(commune=commune, province="Thành phố Hồ Chí Minh")
    page = phone.new_page()
    page.goto(f"{live_server.url}/book/")
    page.select_option("#procedure_id", str(procedure.id))
    page.fill("#name", "Phạm Thị Lan")
    page.fill("#phone", "0987654321")
    page.fill("#address_line", "12 Lê Văn Sỹ")
    page.fill("#old_commune", "Phường 4, Quận 3")
    page.click("form button[type=submit]")

    expect(page.locator("#old-split")).to_contain_text("nay thuộc nhiều xã/phường")
    expect(page.locator("#old-split li")).to_have_text(["Phường Bàn Cờ", "Phường Xuân Hòa"])
    expect(page.locator("#old_commune")).to_have_value("Phường 4, Quận 3")
    page.fill("#name", "Phạm Thị Lan")
    page.fill("#phone", "0987654321")
    page.fill("#address_line", "12 Lê Văn Sỹ")
    page.select_option("#commune", "Phường Xuân Hòa")
    page.click("form button[type=submit]")

    tracking_code = page.locator("#booked-code").inner_text()
    with live_server.app.app_context():
        item = db.session.execute(db.select(Item).where(Item.code == tracking_code)).scalar_one()
        assert (item.commune, item.old_address) == ("Phường Xuân Hòa", "Phường 4, Quận 3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
