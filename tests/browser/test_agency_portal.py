"""The agency portal (issue 14, points 1 and 2): an agency officer signs in to the dashboard app and
sees only their agency's items; they hand results over electronically (one scanned, one ticked) and
sign on screen; a supervisor countersigns; the PDF shows the signed time (the server's, when the
second signature landed). The officer asks to hold an item and the supervisor sees it on Today.
Another agency's officer sees none of it."""

from __future__ import annotations

import subprocess

from playwright.sync_api import expect

from backend.domain.workdays import due_on_or_before, overdue_by
from backend.extensions import db
from backend.models import AuditEntry, Handover, Item
from backend.timeutil import local_today, local_zone
from tests.browser.conftest import desk_page, draw_signature, sign_in_to_dashboard
from tests.kit.images import png_signature
from tests.kit.phone import Phone


def test_an_officer_hands_results_over_the_post_countersigns_and_the_pdf_shows_the_signed_time(
    page, browser, server, tmp_path, poppler
):
    make = server.make
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")
    other = make.agency(name="UBND xã Bình An")
    officer = make.user("agency", agency_id=agency.id, full_name="Phạm Thị Hồng Nhung")
    stranger = make.user("agency", agency_id=other.id, full_name="Trần Văn Khác")
    supervisor = make.user("supervisor", full_name="Trần Văn Bình")
    results = [
        make.item(agency_id=agency.id, status="registered", recipient_name=name)
        for name in ("Nguyễn Thị Kim Ngân", "Trần Văn Lộc")
    ]
    kept = make.item(
        agency_id=agency.id, direction="collect", status="registered", recipient_name="Danh Thị Sa Ry"
    )
    elsewhere = make.item(agency_id=other.id, status="registered", recipient_name="Lý Văn Khác")

    # The officer's portal: their own items, no supervisor screens.
    sign_in_to_dashboard(page, server, officer, "", "Bưu gửi của cơ quan")
    expect(page.locator("#mine-items tbody tr")).to_have_count(3)
    expect(page.locator("#mine-items")).not_to_contain_text(elsewhere.code)
    expect(page.locator("nav")).not_to_contain_text("Hôm nay")
    expect(page.locator("nav")).not_to_contain_text("Lập kế hoạch")

    # Hand two results over: one scanned (typed as a scanner types), one ticked; sign; send.
    page.click("nav a[data-route=handovers]")
    candidates = page.locator("#handover-candidates tbody tr")
    expect(candidates).to_have_count(2)
    page.fill("#handover-scan", results[0].code.lower())
    page.press("#handover-scan", "Enter")
    expect(
        page.locator(f'#handover-candidates tr[data-item-id="{results[0].id}"] input[type=checkbox]')
    ).to_be_checked()
    page.locator(f'#handover-candidates tr[data-item-id="{results[1].id}"]').get_by_role("checkbox").check()
    page.click("#handover-submit")
    expect(page.get_by_role("alert")).to_contain_text("Hãy ký vào ô chữ ký trước.")
    draw_signature(page, '[data-field="signature"] canvas', 1)
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_contain_text("Chờ bưu điện ký xác nhận")
    record_row = page.locator("#handover-list tr[data-handover-id]")
    expect(record_row).to_have_count(1)
    expect(record_row).to_contain_text("Chờ bưu điện ký xác nhận")
    with server.app.app_context():
        assert [db.session.get(Item, i.id).status for i in results] == ["registered", "registered"]

    # And ask the post to hold another item.
    page.goto(f"{server.url}/dashboard/#/mine/{kept.id}")
    expect(page.locator("h1")).to_contain_text(kept.code)
    page.select_option("select[name=kind]", "hold")
    page.fill("#request-reason", "Công dân xin nhận trực tiếp tại trung tâm")
    page.click("#request-submit")
    expect(page.locator("#request-sent")).to_contain_text(kept.code)

    # The supervisor sees both on Today, then countersigns the record.
    context, post = desk_page(browser)
    try:
        sign_in_to_dashboard(post, server, supervisor)
        asked = post.locator("#today-agency-requests")
        expect(asked.locator("li[data-request-id]")).to_contain_text(kept.code)
        expect(asked.locator("li[data-request-id]")).to_contain_text("Công dân xin nhận trực tiếp")
        expect(asked.locator("li[data-awaiting-handover]")).to_have_count(1)
        post.click("nav a[data-route=handovers]")
        post.locator("button[data-sign]").click()
        post.fill("#handover-signer", "Trần Văn Bình")
        draw_signature(post, '#handover-signing [data-field="signature"] canvas', 2)
        post.click("#handover-sign-submit")
        expect(post.locator("#handover-signed")).to_contain_text("Đã ký xác nhận biên bản BG-000001")
        expect(post.locator("#handover-list tr[data-handover-id]")).to_contain_text("Đã ký đủ lúc")
        with post.expect_download() as download:
            post.click("#handover-signed-pdf")
        pdf = tmp_path / "record.pdf"
        download.value.save_as(pdf)
    finally:
        context.close()

    with server.app.app_context():
        record = db.session.execute(db.select(Handover)).scalar_one()
        assert record.status == "signed" and record.signer_name == "Trần Văn Bình"
        signed = record.signed_at.astimezone(local_zone())
        assert [db.session.get(Item, i.id).status for i in results] == ["at_post_office", "at_post_office"]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{signed:%H:%M:%S, %d/%m/%Y}" in text and "Signed electronically by both sides" in text
    assert {i.code for i in results} <= set(text.split()) and elsewhere.code not in text
    assert "Phạm Thị Hồng Nhung" in text and "Trần Văn Bình" in text

    # Another agency's officer sees none of it.
    context, theirs = desk_page(browser)
    try:
        sign_in_to_dashboard(theirs, server, stranger, "", "Bưu gửi của cơ quan")
        expect(theirs.locator("#mine-items tbody tr")).to_have_count(1)
        expect(theirs.locator("#mine-items")).to_contain_text(elsewhere.code)
        expect(theirs.locator("#mine-request-list")).to_have_count(0)
        theirs.click("nav a[data-route=handovers]")
        expect(theirs.locator("#handover-list-title")).to_be_visible()
        expect(theirs.locator("#handover-list tr[data-handover-id]")).to_have_count(0)
        expect(theirs.locator("#handover-candidates tbody tr")).to_have_count(1)
        theirs.goto(f"{server.url}/dashboard/#/mine/{results[0].id}")
        expect(theirs.get_by_role("alert")).to_be_visible()
        expect(theirs.locator("body")).not_to_contain_text(results[0].recipient_name)
    finally:
        context.close()


def test_the_post_office_signs_collected_dossiers_over_and_the_officer_countersigns(page, browser, server):
    make = server.make
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")
    officer = make.user("agency", agency_id=agency.id, full_name="Phạm Thị Hồng Nhung")
    supervisor = make.user("supervisor")
    dossier = make.item(
        agency_id=agency.id, direction="collect", status="collected", recipient_name="Lê Văn Tám"
    )

    sign_in_to_dashboard(page, server, supervisor, "handovers", "Biên bản bàn giao")
    page.select_option("select[name=direction]", "post_to_agency")
    page.select_option("select[name=agency]", str(agency.id))
    page.locator(f'#handover-candidates tr[data-item-id="{dossier.id}"]').get_by_role("checkbox").check()
    page.fill("#handover-officer", "Phạm Thị Hồng Nhung")
    page.click("details > summary")
    draw_signature(page, '[data-field="signature"] canvas', 3)
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_contain_text("Chờ cơ quan ký xác nhận")
    with server.app.app_context():
        assert db.session.get(Item, dossier.id).status == "collected"  # nothing moves before both sign

    context, desk = desk_page(browser)
    try:
        sign_in_to_dashboard(desk, server, officer, "handovers", "Biên bản bàn giao")
        desk.locator("button[data-sign]").click()
        expect(desk.locator("#handover-signer")).to_have_value("Phạm Thị Hồng Nhung")
        draw_signature(desk, '#handover-signing [data-field="signature"] canvas', 4)
        desk.click("#handover-sign-submit")
        expect(desk.locator("#handover-signed")).to_contain_text("Đã ký xác nhận biên bản BG-000001")
    finally:
        context.close()
    with server.app.app_context():
        assert db.session.get(Item, dossier.id).status == "handed_to_agency"
        assert db.session.execute(db.select(Handover)).scalar_one().signed_at is not None


def test_an_officer_sees_lateness_in_working_days_and_filters_the_overdue(page, server):
    """The list says how late each item is in working days, by the server's rule (the export's), and
    the due filter asks the server, so a weekend never makes an item overdue."""
    make = server.make
    agency = make.agency(name="UBND xã Vĩnh Thạnh")
    officer = make.user("agency", agency_id=agency.id, full_name="Lê Thị Thu")
    with server.app.app_context():
        today = local_today()
    late = make.item(agency_id=agency.id, due_date=overdue_by(today, 2), recipient_name="Trễ Hạn")
    soon = make.item(agency_id=agency.id, due_date=due_on_or_before(today, 2), recipient_name="Sắp Hạn")
    later = make.item(agency_id=agency.id, due_date=due_on_or_before(today, 9), recipient_name="Còn Lâu")

    sign_in_to_dashboard(page, server, officer, "", "Bưu gửi của cơ quan")
    rows = page.locator("#mine-items tbody tr")
    expect(rows).to_have_count(3)
    late_row = page.locator(f"#mine-items tr[data-item-id='{late.id}']")
    expect(late_row).to_contain_text("quá hạn 2 ngày làm việc")
    expect(late_row.locator("td.error")).to_have_count(1)
    expect(page.locator(f"#mine-items tr[data-item-id='{soon.id}'] td.error")).to_have_count(0)

    page.select_option("select[name=deadline]", "overdue")
    page.click("form[role=search] button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(late.code)
    page.select_option("select[name=deadline]", "due")
    page.click("form[role=search] button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(soon.code)
    expect(page.locator("#mine-items")).not_to_contain_text(later.code)


def test_an_officer_withdraws_a_waiting_record_with_a_reason_and_the_post_sees_it_withdrawn(
    page, browser, server
):
    make = server.make
    agency = make.agency(name="UBND xã Tân Hội")
    officer = make.user("agency", agency_id=agency.id, full_name="Võ Thị Lan")
    supervisor = make.user("supervisor", full_name="Trần Văn Bình")
    result = make.item(agency_id=agency.id, status="registered", recipient_name="Nguyễn Văn Rút")

    sign_in_to_dashboard(page, server, officer, "", "Bưu gửi của cơ quan")
    page.click("nav a[data-route=handovers]")
    page.locator(f'#handover-candidates tr[data-item-id="{result.id}"]').get_by_role("checkbox").check()
    draw_signature(page, '[data-field="signature"] canvas', 1)
    page.click("#handover-submit")
    expect(page.locator("#handover-done")).to_contain_text("Chờ bưu điện ký xác nhận")
    expect(page.locator("button[data-sign]")).to_have_count(0)  # not the officer's to countersign
    # The officer gives a reason; the audit keeps it.
    page.once("dialog", lambda dialog: dialog.accept("Ghi nhầm bưu gửi"))
    page.locator("button[data-withdraw]").click()
    expect(page.locator("#handover-withdrawn")).to_contain_text("Đã rút lại biên bản")
    expect(page.locator("#handover-list tr[data-handover-id]")).to_contain_text("Đã rút lại")
    expect(page.locator("button[data-withdraw]")).to_have_count(0)

    context, post = desk_page(browser)
    try:
        sign_in_to_dashboard(post, server, supervisor)
        post.click("nav a[data-route=handovers]")
        row = post.locator("#handover-list tr[data-handover-id]")
        expect(row).to_contain_text("Đã rút lại")
        expect(post.locator("button[data-sign]")).to_have_count(0)
    finally:
        context.close()
    with server.app.app_context():
        assert db.session.execute(db.select(Handover)).scalar_one().status == "withdrawn"
        assert db.session.get(Item, result.id).status == "registered"
        withdrawn = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "handover.withdrawn")
        ).scalar_one()
        assert withdrawn.actor_id == officer.id and withdrawn.detail["reason"] == "Ghi nhầm bưu gửi"


def test_an_officer_opens_a_proofs_signatures_zoomable_and_each_view_is_audited(page, server):
    make = server.make
    agency = make.agency(name="UBND xã Mỹ Hòa")
    officer = make.user("agency", agency_id=agency.id, full_name="Đỗ Thị Hạnh")
    postman = make.user("postman")
    item = make.item(agency_id=agency.id, direction="collect", status="registered")
    make.round(postman, items=[item])
    phone = Phone(server.app.test_client(), postman.username).login()
    phone.pull()
    phone.capture(
        "collect",
        item.id,
        {"checklist": [{"name": "Tờ khai", "form": "original", "present": True}], "seal_number": "NP-3"},
        {"signature": png_signature(1), "postman_signature": png_signature(2)},
    )
    phone.sync()

    sign_in_to_dashboard(page, server, officer, f"mine/{item.id}", item.code + " · Đã thu gom")
    page.locator("#mine-story button.link").first.click()
    shown = page.locator(".proof-shown")
    expect(shown).to_contain_text("NP-3")
    expect(shown.locator("button.zoomable img")).to_have_count(2)
    shown.locator("button.zoomable").first.click()
    zoom = page.locator("dialog.zoom")
    expect(zoom.locator("img")).to_be_visible()
    zoom.get_by_role("button", name="Đóng").click()
    expect(zoom).to_have_count(0)
    with server.app.app_context():
        viewed = (
            db.session.execute(db.select(AuditEntry.actor_id).where(AuditEntry.action == "attachment.viewed"))
            .scalars()
            .all()
        )
        assert viewed == [officer.id, officer.id]
