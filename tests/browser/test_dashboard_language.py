"""Vietnamese everywhere, and a tablet: every view of the dashboard (and the phone's round) read in
Vietnamese has no English words, no leftover keys or CLI flags, and only Vietnamese numbers and
dates (100,0 %, 01/12/2026 23:25); a refused request is worded from its code; at 768×1024 no view
scrolls sideways."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_to_dashboard
from tests.kit.phone import Phone

VIEWS = ["today", "map", "planning", "import", "handovers", "reports"]
# Words a Vietnamese page never needs; any of them is an English tail or an untranslated text.
ENGLISH = re.compile(
    r"\b(the|and|was|were|is|are|not|please|error|invalid|required|must|field|missing|failed|unknown|"
    r"none|null|undefined|NaN|Infinity|HTTP|Sign in|Today|Refresh|Date|Round|Postman)\b",
    re.IGNORECASE,
)
BAD_FORMATS = {
    "a two-digit year": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b(?!\d)"),
    "an ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "seconds in a time": re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b"),
    "a decimal point": re.compile(r"\b\d+\.\d{1,2}\s?(%|km|₫)"),
    "English thousands": re.compile(r"\b\d{1,3},\d{3}\b"),
    "a CLI flag": re.compile(r"(^|\s)--[a-z]"),
    "an API field name": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a leftover placeholder or key": re.compile(r"\{\w+\}|\b(problem|today|exc|risk|nav|common)\.[a-z]"),
}
# The innermost elements that stick out on the right (to say what is too wide).
TOO_WIDE_JS = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > 769 && ![...e.children].some((c) => c.getBoundingClientRect().right > 769))
  .slice(0, 8).map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""
SCAN_JS = "() => document.querySelector('main').innerText"


def problems_in(text: str) -> list[str]:
    found = [f"English '{m.group(0)}'" for m in ENGLISH.finditer(text)]
    found += [
        f"{what}: '{m.group(0)}'" for what, pattern in BAD_FORMATS.items() for m in pattern.finditer(text)
    ]
    return found


pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


@pytest.fixture
def busy_day(server):
    """A supervisor and a postman's round with a delivery and a failed visit (exceptions to show)."""
    make = server.make
    supervisor = make.user("supervisor", full_name="Hồ Thị Giám Sát")
    postman = make.user("postman", full_name="Lê Văn Bưu")
    items = [make.item(lat=10.01, lon=105.16, service_fee=26_000) for _ in range(3)]
    make.round(postman, items=items)
    phone = Phone(server.app.test_client(), postman.username).login()
    phone.pull()
    phone.deliver(items[0].id, seed=1)
    phone.fail(items[1].id)
    phone.sync()
    return SimpleNamespace(supervisor=supervisor, failed_item_id=items[1].id)


def visit(page, view):
    page.click(f"nav a[data-route={view}]")
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")


def test_every_view_in_vietnamese_has_no_english_and_vietnamese_formats(page, server, busy_day):
    sign_in_to_dashboard(page, server, busy_day.supervisor)
    expect(page.locator("#today-rounds tbody tr")).to_have_count(1)
    expect(page.locator("#exceptions li.exception").first).to_be_visible()
    seen = {}
    for view in VIEWS:
        visit(page, view)
        seen[view] = problems_in(page.evaluate(SCAN_JS))
        for picker in page.locator("input[data-date]").all():  # dates typed and shown dd/mm/yyyy
            assert picker.get_attribute("placeholder") == "dd/mm/yyyy", view
            shown = picker.evaluate(
                "(e) => Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').get.call(e)"
            )
            assert shown == "" or re.fullmatch(r"\d{2}/\d{2}/\d{4}", shown), (view, shown)
    page.goto(f"{server.url}/dashboard/#/items/{busy_day.failed_item_id}")
    expect(page.locator("ol.timeline li").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    seen["item"] = problems_in(page.evaluate(SCAN_JS))
    assert seen == {view: [] for view in [*VIEWS, "item"]}
    # The day's times are "01/12/2026 23:25" and "23:25": no seconds, a four-digit year.
    visit(page, "today")
    title = page.locator("#today-rounds li[title]").first.get_attribute("title")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", title), title

    # A refused request is worded from its code, with nothing of the server's English.
    visit(page, "reports")
    page.fill("#report-from", "05/12/2026")  # typed the Vietnamese way
    page.fill("#report-to", "01/12/2026")
    page.click("#report-show")
    expect(page.locator("#report-messages [role=alert]")).to_have_text("Dữ liệu chưa hợp lệ: Đến ngày.")
    page.fill("#report-from", "2020-01-01")
    page.fill("#report-to", "2026-12-01")
    page.click("#report-show")
    expect(page.locator("#report-messages [role=alert]")).to_have_text(
        "Khoảng thời gian quá dài: một báo cáo tối đa 400 ngày."
    )


def test_the_phones_round_in_vietnamese_has_no_english_and_vietnamese_formats(phone, server, busy_day):
    from tests.browser.conftest import Pwa

    page = phone.new_page()
    postman = server.make.user("postman", full_name="Phạm Văn Phát")
    server.make.round(postman, items=[server.make.item(service_fee=26_000) for _ in range(2)])
    Pwa(page, server).on_the_round(postman.username, stops=2)
    seen = {"round": problems_in(page.evaluate("() => document.body.innerText"))}
    page.locator(".stops .stop").first.click()  # a stop: its details and what to do there
    page.wait_for_selector("main[data-screen=item]")
    seen["stop"] = problems_in(page.evaluate("() => document.body.innerText"))
    assert seen == {"round": [], "stop": []}


@pytest.mark.parametrize("view", [*VIEWS, "items"])
def test_each_view_fits_a_tablet_768_wide_without_sideways_scrolling(browser, server, busy_day, view):
    context = browser.new_context(
        viewport={"width": 768, "height": 1024},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        has_touch=True,
    )
    page = context.new_page()
    sign_in_to_dashboard(page, server, busy_day.supervisor)
    if view == "items":
        page.goto(f"{server.url}/dashboard/#/items/{busy_day.failed_item_id}")
        expect(page.locator("ol.timeline li").first).to_be_visible()
    elif view != "today":
        visit(page, view)
    else:
        expect(page.locator("#today-rounds tbody tr")).to_have_count(1)
    page.wait_for_timeout(300)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 768, f"{view} is {width} px wide: {page.evaluate(TOO_WIDE_JS)}"
    context.close()
