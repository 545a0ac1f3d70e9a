"""The agency portal's fees page (issue 14, point 1): an officer sees the government fees the post collected
for their agency today, what was passed on to them on a signed record (not one still awaiting their
signature), and what the post still holds, in Vietnamese money and dates; by month too. Another
agency's officer sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect

from backend.extensions import db
from backend.models import FeeEntry, Handover, HandoverLine
from backend.timeutil import local_today
from tests.browser.conftest import desk_page, sign_in_to_dashboard


def test_an_officer_sees_the_fees_collected_passed_on_and_held(page, browser, server):
    make = server.make
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")
    officer = make.user("agency", agency_id=agency.id, full_name="Phạm Thị Hồng Nhung")
    stranger = make.user("agency", full_name="Trần Văn Khác")
    postman = make.user("postman")
    items = [make.item(agency_id=agency.id, government_fee=fee) for fee in (50_000, 30_000)]
    now = datetime.now(UTC)
    with server.app.app_context():
        for item, fee in zip(items, (50_000, 30_000), strict=True):
            db.session.add(
                FeeEntry(item_id=item.id, postman_id=postman.id, government_fee=fee, server_time=now)
            )
        for status, item, fee in (("signed", items[0], 50_000), ("awaiting_agency", items[1], 30_000)):
            record = Handover(direction="post_to_agency", agency_id=agency.id, status=status, created_at=now)
            record.lines.append(HandoverLine(item_id=item.id, fee_passed_on=fee))
            db.session.add(record)
        db.session.commit()
        today = local_today()

    sign_in_to_dashboard(page, server, officer, "", "Bưu gửi của cơ quan")
    page.click("nav a[data-route=fees]")
    expect(page.locator("h1")).to_have_text("Phí và lệ phí")
    row = page.locator("#fees-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(today.strftime("%d/%m/%Y"))
    expect(row).to_contain_text("80.000 ₫")
    expect(row).to_contain_text("50.000 ₫")
    expect(row).to_contain_text("30.000 ₫")
    expect(page.locator("#fees-totals")).to_contain_text("80.000 ₫")

    page.locator("select[name=fees-group]").select_option("month")
    page.click("form.inline-form button[type=submit]")
    expect(row).to_contain_text(today.strftime("%m/%Y"))
    expect(page.locator("#fees-totals")).to_contain_text("30.000 ₫")

    context, other = desk_page(browser)
    try:
        sign_in_to_dashboard(other, server, stranger, "", "Bưu gửi của cơ quan")
        other.click("nav a[data-route=fees]")
        expect(other.locator("#fees-table tbody")).to_contain_text("Không có lệ phí nào trong khoảng này.")
    finally:
        context.close()
