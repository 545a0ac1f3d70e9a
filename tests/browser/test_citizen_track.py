"""The citizen's tracking page on a cheap phone (360×640), opened from the QR or the link of a message:
a failed visit is seen with its reason and the day the postman comes again; the citizen moves the
delivery to another day and the postman's phone shows it after its next pull; a complaint is filed
and the supervisor's answer is read on the same page."""

from __future__ import annotations

from playwright.sync_api import expect

from backend.domain.workdays import add_working_days
from backend.extensions import db
from backend.models import Complaint
from backend.services.citizen_links import link_token
from backend.timeutil import local_today, local_zone
from tests.browser.conftest import PHONE, Pwa, sign_in_to_dashboard


def link(server, item) -> str:
    """What the QR on the envelope and the message's link open (PUBLIC_BASE_URL is this server)."""
    with server.app.test_request_context():
        return f"{server.url}/track/?c={item.code}&k={link_token(item.code)}"


def test_a_failed_visit_then_a_new_day_that_the_postmans_phone_shows(
    browser, phone, live_server, postman_day
):
    item = postman_day.to_fail
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    pwa.fail(item)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        today = local_today()
    citizen = browser.new_context(**PHONE)
    page = citizen.new_page()

    page.goto(link(live_server, item))

    expect(page.locator("h2.status")).to_contain_text("chưa phát được")
    failure = page.locator("#failure")
    expect(failure).to_contain_text("Vắng nhà")
    next_day = add_working_days(today, live_server.app.config["REATTEMPT_SPACING_WORKING_DAYS"])
    expect(failure).to_contain_text(next_day.strftime("%d/%m/%Y"))
    expect(page.locator("#pay")).to_contain_text("26.000 đ")
    assert postman_day.to_fail.recipient_name not in page.content()  # nothing personal on the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling

    chosen = add_working_days(today, 3)
    page.check('input[name="kind"][value="another_day"]')
    page.select_option("#day", chosen.isoformat())
    page.click("#answer button[type=submit]")
    expect(page.locator(".ok")).to_contain_text("Đã ghi nhận")
    expect(page.locator("#choice")).to_contain_text(chosen.strftime("%d/%m/%Y"))

    pwa.open()  # the app opened again (any start pulls): the change feed brings the citizen's answer
    pwa.page.wait_for_selector("main[data-screen=round]")
    pwa.wait_until_synced()
    pwa.open_item(item.id)
    expect(pwa.page.locator(".item")).to_contain_text(f"Hẹn phát ngày {chosen.strftime('%d/%m/%Y')}")
    citizen.close()


def test_the_english_toggle_and_a_wrong_code_on_the_typed_form(phone, live_server):
    item = live_server.make.item(recipient_phone="0912345678")
    page = phone.new_page()
    page.goto(f"{live_server.url}/track/")
    page.fill("#c", item.code)
    page.fill("#d", "0000")
    page.click("form button[type=submit]")
    expect(page.locator("#message")).to_contain_text("Không tìm thấy")

    page.fill("#d", "5678")
    page.click("form button[type=submit]")
    expect(page.locator("h2.status")).to_contain_text("Kết quả đã đến bưu cục")
    page.click("a.lang")
    expect(page.locator("h2.status")).to_contain_text("The result is at the post office")


def test_a_complaint_filed_on_the_page_is_answered_on_the_dashboard_and_read_by_the_citizen(
    browser, phone, live_server
):
    make = live_server.make
    item = make.item()
    supervisor = make.user("supervisor")
    page = phone.new_page()
    page.goto(link(live_server, item))

    page.click("#complaints summary")
    page.fill("#text", "Bưu tá không gọi trước khi đến.")
    page.click("#complaints button[type=submit]")
    expect(page.locator(".ok")).to_contain_text("Đã nhận khiếu nại")
    with live_server.app.app_context():
        complaint = db.session.execute(db.select(Complaint)).scalar_one()
        filed_on = complaint.filed_at.astimezone(local_zone()).date()
        assert complaint.due_on == add_working_days(filed_on, 5)

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    dash = desk.new_page()
    sign_in_to_dashboard(dash, live_server, supervisor, route="complaints", heading="Khiếu nại")
    card = dash.locator(f'.complaint[data-complaint-id="{complaint.id}"]')
    expect(card).to_contain_text(item.code)
    expect(card).to_contain_text(complaint.due_on.strftime("%d/%m/%Y"))
    card.locator("textarea").fill("Bưu cục xin lỗi; lần sau bưu tá sẽ gọi trước.")
    card.locator("button[type=submit]").click()
    expect(card).to_have_attribute("data-open", "0")
    desk.close()

    page.reload()
    expect(page.locator("#complaints .answer")).to_contain_text("lần sau bưu tá sẽ gọi trước")
