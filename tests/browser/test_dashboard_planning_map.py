"""The planning page's map, and printing from the desk as a supervisor does it.

A supervisor plans Lan's round on the map: the stops numbered in their order, the waiting items
beside them; a click on a waiting item's marker ticks it, and once assigned it is the round's next
number. Then labels: the supervisor ticks two items, presses "In nhãn", and the PDF the page opened
carries each S10 code as a Code 128 and a QR that an independent decoder reads back. The Today page
prints a round's run sheet from its row."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_to_dashboard
from tests.kit.barcodes import needs_node, read_codes

pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


@pytest.fixture
def lan_day(server):
    make = server.make
    lan = make.user("postman", full_name="Trần Thị Lan")
    stops = [
        make.item(recipient_name=name, lat=10.01 + n / 200, lon=105.16 + n / 200)
        for n, name in enumerate(("Lê Văn An", "Phạm Thị Bé", "Huỳnh Văn Cường"))
    ]
    waiting = [
        make.item(recipient_name="Nguyễn Thị Kim Ngân", lat=10.03, lon=105.13),
        make.item(recipient_name="Đỗ Văn Phúc", lat=9.99, lon=105.19),
    ]
    nowhere = make.item(recipient_name="Vũ Thị Hoa", lat=None, lon=None)
    rnd = make.round(lan, items=stops)
    return {"round": rnd, "stops": stops, "waiting": waiting, "nowhere": nowhere, "lan": lan}


def open_planning(page, server):
    sign_in_to_dashboard(page, server, server.make.user("supervisor"), "planning", "Lập kế hoạch chuyến phát")


def pins(page, selector: str) -> list[tuple[str, str]]:
    found = page.eval_on_selector_all(
        f"#plan-map {selector}", "(pins) => pins.map((p) => [p.dataset.itemId, p.textContent])"
    )
    return [tuple(pin) for pin in found]


def test_a_supervisor_ticks_an_item_on_the_map_and_it_becomes_the_rounds_next_stop(page, server, lan_day):
    rnd, stops, waiting = lan_day["round"], lan_day["stops"], lan_day["waiting"]
    open_planning(page, server)

    # Lan's round on the map, numbered in stop order, and the same stops as a text list.
    stop_pins = ".map-pin-n:not([data-backlog])"
    expect(page.locator(f"#plan-map {stop_pins}")).to_have_count(3)
    assert pins(page, stop_pins) == [(str(s.id), str(n)) for n, s in enumerate(stops, start=1)]
    expect(page.locator("#plan-map-round")).to_have_value(str(rnd.id))
    listed = page.locator("#plan-map-stops li")
    for n, stop in enumerate(stops):
        expect(listed.nth(n)).to_contain_text(f"{n + 1}. {stop.code} {stop.recipient_name}")

    # The waiting items with coordinates join the map when asked (the one without has no marker).
    page.check("#plan-map-backlog")
    backlog = page.locator("#plan-map .map-pin-n[data-backlog]")
    expect(backlog).to_have_count(2)
    assert sorted(pins(page, ".map-pin-n[data-backlog]")) == sorted((str(i.id), "+") for i in waiting)
    expect(page.locator("#plan-map-waiting")).to_contain_text("Bản đồ có 2 bưu gửi chờ phân công (0 đã chọn)")

    # A poll that finds nothing new leaves the markers alone (the same elements, not redrawn).
    page.eval_on_selector("#plan-map .map-pin-n[data-backlog]", "(pin) => (pin.dataset.seen = 'yes')")
    page.wait_for_timeout(4_500)  # two polls
    expect(page.locator("#plan-map .map-pin-n[data-seen=yes]")).to_have_count(1)

    # Clicking Ngân's marker ticks her in the list, as her check box would.
    ngan = waiting[0]
    page.locator(f'#plan-map .map-pin-n[data-backlog][data-item-id="{ngan.id}"]').click()
    expect(page.locator(f'#pool-table tr[data-item-id="{ngan.id}"] input[type=checkbox]')).to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("Đã chọn 1 bưu gửi")
    expect(page.locator(f'#plan-map .map-pin-n[data-item-id="{ngan.id}"]')).to_have_text("✓")
    expect(page.locator("#plan-map-waiting")).to_contain_text("(1 đã chọn)")

    page.select_option("select[name=target]", str(rnd.id))
    page.click("#assign-button")
    expect(page.locator("#planning-messages")).to_have_text(f"Đã gán 1 bưu gửi vào chuyến #{rnd.id}.")

    # She is now stop 4 of the round on the map; only Phúc is still waiting there.
    expect(page.locator(f"#plan-map {stop_pins}")).to_have_count(4)
    assert pins(page, stop_pins)[-1] == (str(ngan.id), "4")
    expect(backlog).to_have_count(1)
    expect(listed.nth(3)).to_contain_text(f"4. {ngan.code} {ngan.recipient_name}")


PDF = re.compile(r"/api/.*\.pdf(\?|$)")


def pdf_of_the_new_tab(page, click) -> bytes:
    """Press the button; return the PDF the page fetched (passed through on its way), after
    checking that a new tab shows it."""
    fetched = []

    def keep(route):
        answer = route.fetch()
        fetched.append(answer)
        route.fulfill(response=answer, body=answer.body())

    page.route(PDF, keep)
    with page.context.expect_page() as opened:
        click()
    tab = opened.value
    page.unroute(PDF)
    (answer,) = fetched
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert tab.url.startswith("blob:")
    tab.wait_for_load_state()
    assert tab.evaluate("document.contentType") == "application/pdf"  # the browser shows it as a PDF
    tab.close()
    return answer.body()


@needs_node
def test_labels_printed_for_ticked_items_carry_codes_an_independent_decoder_reads_back(
    page, server, lan_day, tmp_path, poppler
):
    open_planning(page, server)
    chosen = [lan_day["waiting"][1], lan_day["stops"][0]]
    for item in chosen:
        page.locator(f'[data-item-id="{item.id}"] input[type=checkbox]').first.check()
    expect(page.locator("#selected-count")).to_have_text("Đã chọn 2 bưu gửi")

    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(pdf_of_the_new_tab(page, lambda: page.click("#print-selected-labels")))
    subprocess.run(["pdftoppm", "-png", "-r", "300", str(pdf), str(tmp_path / "page")], check=True)
    (picture,) = sorted(tmp_path.glob("page*.png"))
    found = read_codes(picture, ("Code128", "QRCode"))
    codes = {item.code for item in chosen}
    assert {c["text"] for c in found if c["format"] == "Code128"} == codes
    assert {c["text"] for c in found if c["format"] == "QRCode"} == codes


def test_the_today_page_prints_a_rounds_run_sheet_from_its_row(page, server, lan_day, tmp_path, poppler):
    rnd, stops = lan_day["round"], lan_day["stops"]
    sign_in_to_dashboard(page, server, server.make.user("supervisor"))
    row = page.locator(f'#today-rounds tr[data-round-id="{rnd.id}"]')
    expect(row.locator(".print-labels")).to_have_accessible_name(f"In nhãn các bưu gửi của chuyến #{rnd.id}")

    pdf = tmp_path / "run-sheet.pdf"
    pdf.write_bytes(pdf_of_the_new_tab(page, lambda: row.locator(".print-run-sheet").click()))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Trần Thị Lan" in text
    assert [text.index(s.code) for s in stops] == sorted(text.index(s.code) for s in stops)
