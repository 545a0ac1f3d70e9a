"""Printing a round: the run sheet the postman takes out and brings back signed, and the labels
whose Code 128 barcode and QR code the phone scans (read back here by an independent decoder)."""

from __future__ import annotations

import subprocess

import pytest

from backend.extensions import db
from backend.models import AuditEntry, PostOffice
from tests.kit.barcodes import needs_node, read_codes
from tests.test_handovers import pdf_text

PROBLEM = "application/problem+json"


@pytest.fixture
def planned(app, make, today):
    """Nguyễn Văn Bảy's round today: three stops in an order the supervisor chose."""
    with app.app_context():
        office = db.session.get(PostOffice, make.default_office_id())
        office.address = "Số 12 đường 30 Tháng 4, xã Châu Thành, An Giang"
        db.session.commit()
    postman = make.user("postman", full_name="Nguyễn Văn Bảy", phone="0909111222")
    birth = make.procedure(name="Cấp giấy khai sinh")
    land = make.procedure(name="Đăng ký biến động đất đai")
    items = [
        make.item(
            procedure_id=birth.id,
            recipient_name="Chau Sóc Khol",
            recipient_phone="0912000001",
            address_line="Tổ 4, ấp Phước Lợi, xã Mong Thọ",  # already says its commune
            commune="Xã Mong Thọ",
            service_fee=26_000,
            government_fee=8_000,
        ),
        make.item(
            procedure_id=land.id,
            direction="collect",
            recipient_name="Lâm Thị Sa Ry",
            recipient_phone="0912000002",
            address_line="Số 5 kênh Thầy Ban",
            service_fee=30_000,
        ),
        make.item(procedure_id=birth.id, recipient_name="Đặng Văn Út", recipient_phone=None),
    ]
    rnd = make.round(postman, today, items=items)
    return rnd, items


def test_a_supervisor_prints_a_rounds_run_sheet_in_vietnamese(
    client, app, auth, supervisor, planned, today, tmp_path, poppler
):
    rnd, items = planned

    response = client.get(f"/api/rounds/{rnd.id}/run-sheet.pdf", headers=auth(supervisor))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data, tmp_path)
    assert "BƯU CỤC MINH LƯƠNG" in text and "Số 12 đường 30 Tháng 4, xã Châu Thành, An Giang" in text
    assert "BẢNG KÊ CHUYẾN PHÁT" in text and "RUN SHEET" not in text and "Postman" not in text
    assert f"Bưu tá: Nguyễn Văn Bảy — 0909111222 Ngày: {today:%d/%m/%Y}" in text
    positions = [text.index(item.code) for item in items]
    assert positions == sorted(positions)  # in visiting order
    assert (
        "1 " + items[0].code + " Chau Sóc Khol Tổ 4, ấp Phước Lợi, xã Mong Thọ, An Giang 0912000001" in text
    )
    assert "Cấp giấy khai sinh (Trả kết quả) 26.000 8.000" in text
    assert "Đăng ký biến động đất đai (Thu gom hồ sơ) 30.000 0" in text
    assert "Tổng cộng: 3 điểm phát 82.000 8.000" in text
    assert "Tổng số tiền cần thu: 90.000 đồng (VND)" in text
    assert "Đã phát ✓ / Ký nhận" in text and "BƯU TÁ" in text
    assert f"ngày {today:%d} tháng {today:%m} năm {today:%Y}" in text
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "round.run_sheet_printed")
        ).scalar_one()
        assert entry.entity_id == str(rnd.id)


def test_a_supervisor_reading_english_gets_the_english_after_the_vietnamese(
    client, auth, supervisor, planned, tmp_path, poppler
):
    rnd, _ = planned

    response = client.get(
        f"/api/rounds/{rnd.id}/run-sheet.pdf", headers=auth(supervisor), query_string={"lang": "en"}
    )

    text = pdf_text(response.data, tmp_path)
    assert "BẢNG KÊ CHUYẾN PHÁT / ROUND RUN SHEET" in text
    assert "Bưu tá / Postman: Nguyễn Văn Bảy" in text
    assert "(Trả kết quả / Return result)" in text
    assert "Tổng số tiền cần thu / Total to collect: 90.000 đồng (VND)" in text


def test_a_language_the_server_does_not_print_is_refused(client, auth, supervisor, planned):
    rnd, _ = planned

    response = client.get(
        f"/api/rounds/{rnd.id}/run-sheet.pdf", headers=auth(supervisor), query_string={"lang": "fr"}
    )

    assert response.status_code == 422 and response.content_type == PROBLEM
    assert "lang" in response.get_json()["errors"]


def page_images(pdf_bytes: bytes, tmp_path, dpi: int = 300) -> list:
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


@needs_node
def test_a_rounds_labels_carry_each_code_as_a_barcode_and_a_qr_that_a_decoder_reads_back(
    client, app, auth, supervisor, planned, tmp_path, poppler
):
    rnd, items = planned

    response = client.get(f"/api/rounds/{rnd.id}/labels.pdf", headers=auth(supervisor))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (page,) = page_images(response.data, tmp_path)
    found = read_codes(page, ("Code128", "QRCode"))
    codes = {item.code for item in items}
    assert {c["text"] for c in found if c["format"] == "Code128"} == codes
    assert {c["text"] for c in found if c["format"] == "QRCode"} == codes
    text = pdf_text(response.data, tmp_path)
    assert "Chau Sóc Khol" in text and "Tổ 4, ấp Phước Lợi, xã Mong Thọ, An Giang" in text
    assert "ĐT / Tel: 0912000001" in text
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "items.labels_printed")
        ).scalar_one()
        assert entry.detail["count"] == 3 and entry.detail["round_id"] == rnd.id


@needs_node
def test_labels_for_chosen_items_follow_the_order_asked_and_fill_sheets_of_ten(
    client, make, auth, supervisor, planned, tmp_path, poppler
):
    _, items = planned
    more = [make.item(recipient_name=f"Người nhận {n}") for n in range(9)]
    chosen = [items[2], *more, items[0]]  # eleven labels: a full sheet and one more

    response = client.post(
        "/api/items/labels.pdf", headers=auth(supervisor), json={"item_ids": [i.id for i in chosen]}
    )

    assert response.status_code == 200, response.get_json()
    first, second = page_images(response.data, tmp_path, dpi=200)
    on_first = [c["text"] for c in read_codes(first, ("Code128",))]
    assert sorted(on_first) == sorted(i.code for i in chosen[:10])
    assert [c["text"] for c in read_codes(second, ("Code128", "QRCode"))] == [items[0].code] * 2
    text = pdf_text(response.data, tmp_path)
    assert text.index(items[2].code) < text.index(more[0].code) < text.index(items[0].code)


def test_labels_of_an_item_the_supervisor_cannot_see_are_not_printed(client, make, auth, supervisor, planned):
    _, items = planned
    elsewhere = make.office()
    foreign = make.item(office_id=elsewhere.id)

    response = client.post(
        "/api/items/labels.pdf", headers=auth(supervisor), json={"item_ids": [items[0].id, foreign.id]}
    )

    assert response.status_code == 422 and response.content_type == PROBLEM
    assert response.get_json()["errors"]["item_ids"] == {"1": [f"No item with id {foreign.id}."]}
    assert foreign.code not in response.get_data(as_text=True)


def test_a_postman_cannot_print_the_office_papers(client, auth, planned):
    rnd, items = planned
    headers = auth(rnd.postman)

    sheet = client.get(f"/api/rounds/{rnd.id}/run-sheet.pdf", headers=headers)
    chosen = client.post("/api/items/labels.pdf", headers=headers, json={"item_ids": [items[0].id]})

    assert sheet.status_code == 403 and chosen.status_code == 403
