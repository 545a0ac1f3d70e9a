"""A supervisor records a handover from an agency on the dashboard and prints it: the PDF renders
(its first page as a PNG is not blank) and lists exactly the items on the record."""

from __future__ import annotations

import subprocess

from PIL import Image
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Handover, Item
from tests.browser.conftest import sign_in_to_dashboard
from tests.kit.images import blank_image, jpeg_bytes, png_signature
from tests.kit.phone import Phone


def test_a_handover_record_is_made_on_the_dashboard_and_its_pdf_lists_the_right_items(
    page, server, tmp_path, poppler
):
    make = server.make
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")
    other = make.agency(name="UBND xã Bình An")
    results = [
        make.item(
            agency_id=agency.id,
            status="registered",
            recipient_name=name,
            dossier_code=f"000.21.30.H01-251201-00{n}",
        )
        for n, name in enumerate(("Nguyễn Thị Kim Ngân", "Trần Văn Lộc", "Danh Thị Sa Ry"))
    ]
    elsewhere = make.item(agency_id=other.id, status="registered")
    supervisor = make.user("supervisor")
    postman = make.user("postman", full_name="Lê Văn Tư")

    sign_in_to_dashboard(page, server, supervisor, "handovers", "Biên bản bàn giao")
    page.select_option("select[name=direction]", "agency_to_post")
    page.select_option("select[name=agency]", str(agency.id))
    candidates = page.locator("#handover-candidates tbody tr")
    expect(candidates).to_have_count(3)
    for item in results[:2]:
        row = page.locator(f'#handover-candidates tr[data-item-id="{item.id}"]')
        row.get_by_role("checkbox").check()
        row.get_by_label(f"Số bản chính của {item.code}").fill("1")
        row.get_by_label(f"Số bản sao của {item.code}").fill("2")
    page.fill("#handover-officer", "Phạm Thị Hồng Nhung")
    # Money on the record: it must name the postman it comes from, before anything is sent.
    fee = page.get_by_label(f"Phí chuyển giao của {results[0].code}")
    fee.fill("8000")
    page.click("#handover-submit")
    expect(page.get_by_role("alert")).to_contain_text("hãy chọn bưu tá đã thu số tiền này")
    expect(page.locator("select[name=postman]")).to_be_focused()
    fee.fill("0")
    page.select_option("select[name=postman]", str(postman.id))
    page.fill("#handover-ready", "2026-12-05")
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_contain_text("Đã lập biên bản BG-000001 (2 bưu gửi).")
    expect(page.locator("#handover-list tr[data-handover-id]")).to_have_count(1)
    expect(candidates).to_have_count(1)  # the two received results are no longer waiting

    with page.expect_download() as download:
        page.click("#handover-pdf-link")
    pdf = tmp_path / "record.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == "bien-ban-BG-000001.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert image.size[0] > 400 and sum(image.histogram()[:128]) > 0.01 * image.size[0] * image.size[1]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "BIÊN BẢN BÀN GIAO" in text and "Cơ quan bàn giao kết quả cho bưu điện" in text
    assert {i.code for i in results[:2]} <= set(text.split())
    assert results[2].code not in text and elsewhere.code not in text
    assert "Phạm Thị Hồng Nhung" in text and "Lê Văn Tư" in text and "05/12/2026" in text
    with server.app.app_context():
        record = db.session.execute(db.select(Handover)).scalar_one()
        assert sorted((line.item.code, line.originals, line.copies) for line in record.lines) == sorted(
            (i.code, 1, 2) for i in results[:2]
        )
        assert [db.session.get(Item, i.id).status for i in results] == [
            "at_post_office",
            "at_post_office",
            "registered",
        ]


def test_the_list_shows_each_records_seal_and_files_and_flags_a_blank_late_signature(page, server):
    make = server.make
    agency = make.agency(name="UBND xã Bình An")
    postman = make.user("postman", full_name="Lê Văn Tư")
    dossiers = [make.item(agency_id=agency.id, direction="collect", status="registered") for _ in range(2)]
    result = make.item(agency_id=agency.id, status="registered")
    make.round(postman, items=dossiers)
    phone = Phone(server.app.test_client(), postman.username).login()
    phone.pull()
    for n, item in enumerate(dossiers):
        phone.capture(
            "collect",
            item.id,
            {
                "checklist": [{"name": "Tờ khai", "form": "original", "present": True}],
                "seal_number": f"T-{n}",
            },
            {"signature": png_signature(n), "postman_signature": png_signature(n + 5)},
        )
    phone.sync()
    for item, seal, files in (
        (dossiers[0], "NP-2026-0042", {"signature": png_signature(2), "photo": jpeg_bytes(3)}),
        (dossiers[1], None, {"signature": blank_image()}),
    ):
        body = {"direction": "post_to_agency", "agency_id": agency.id, "officer_name": "Trần Văn Bảy"}
        phone.capture("handover", None, {**body, "seal_number": seal, "lines": [{"item_id": item.id}]}, files)
    phone.push()  # the records first; their files come after (the blank signature is found only then)
    phone.upload_files()

    sign_in_to_dashboard(page, server, make.user("supervisor"), "handovers", "Biên bản bàn giao")
    sealed, blank = (page.locator(f"#handover-list tr[data-handover-id='{n}']") for n in (1, 2))
    expect(sealed.locator('[data-field="seal"]')).to_have_text("NP-2026-0042")
    expect(blank.locator('[data-field="seal"]')).to_have_text("—")
    expect(blank.locator('[data-field="evidence"]')).to_contain_text("Chữ ký để trống: cần kiểm tra")
    expect(sealed.locator('[data-field="evidence"]')).not_to_contain_text("Chữ ký để trống")
    sealed.get_by_role("button", name="Xem 2 tệp").click()
    files = page.locator('tr[data-files-of="1"] figure')
    expect(files.locator("figcaption")).to_have_text(["Chữ ký cán bộ cơ quan", "Ảnh"])
    expect(files.locator("img")).to_have_count(2)
    assert page.evaluate(
        "[...document.querySelectorAll('tr[data-files-of=\"1\"] img')].every((i) => i.naturalWidth > 0)"
    )

    # A record made at the desk keeps the seal typed on the form.
    page.select_option("select[name=direction]", "agency_to_post")
    page.select_option("select[name=agency]", str(agency.id))
    page.locator(f'#handover-candidates tr[data-item-id="{result.id}"]').get_by_role("checkbox").check()
    page.fill("#handover-officer", "Phạm Thị Hồng Nhung")
    page.fill("#handover-seal", "NP-2026-0099")
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_contain_text("BG-000003")
    expect(page.locator("#handover-list tr[data-handover-id='3'] [data-field='seal']")).to_have_text(
        "NP-2026-0099"
    )
    with server.app.app_context():
        seals = dict(db.session.execute(db.select(Handover.id, Handover.seal_number)).all())
        assert seals == {1: "NP-2026-0042", 2: None, 3: "NP-2026-0099"}
