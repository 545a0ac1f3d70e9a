"""Two supervisors plan the same day, each in their own browser; and a bulk assign of 300 items.

The second supervisor's change, made on a page that no longer shows the round as it is, is refused:
the page says who changed what, shows the round as it is now, keeps what was ticked, and "Thử lại"
does the same change on the fresh version. Nothing either of them did is lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Item, Round
from tests.browser.conftest import DESK, sign_in_to_dashboard

pytestmark = pytest.mark.server_settings(
    DASHBOARD_POLL_SECONDS=15
)  # the slowest poll: the first supervisor acts before it


@pytest.fixture
def desk(server, browser):
    make = server.make
    lan = make.user("postman", full_name="Trần Thị Lan")
    stops = [make.item(recipient_name=name) for name in ("Lê Văn An", "Phạm Thị Bé", "Huỳnh Văn Cường")]
    waiting = [make.item(recipient_name=name) for name in ("Nguyễn Thị Kim Ngân", "Đỗ Văn Phúc")]
    rnd = make.round(lan, items=stops)
    an, binh = (
        make.user("supervisor", full_name="Ngô Văn An"),
        make.user("supervisor", full_name="Trần Thị Bình"),
    )
    contexts = []

    def desk_of(user):
        context = browser.new_context(**DESK)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in_to_dashboard(page, server, user, "planning", "Lập kế hoạch chuyến phát")
        expect(page.locator(f'.round-card[data-round-id="{rnd.id}"] ol.stops li')).to_have_count(3)
        return page

    yield {"round": rnd, "stops": stops, "waiting": waiting, "an": desk_of(an), "binh": desk_of(binh)}
    for context in contexts:
        context.close()


def order_of(server, round_id):
    with server.app.app_context():
        return list(
            db.session.execute(
                db.select(Item.id).where(Item.round_id == round_id).order_by(Item.stop_order)
            ).scalars()
        )


def test_the_second_supervisor_is_told_and_nothing_is_lost(server, desk):
    an, binh, rnd = desk["an"], desk["binh"], desk["round"]
    first, second, third = (s.id for s in desk["stops"])

    # An ticks the two waiting items and picks Lan's round, but has not pressed "Gán" yet.
    for item in desk["waiting"]:
        an.locator(f'#pool-table tr[data-item-id="{item.id}"] input[type=checkbox]').check()
    an.select_option("select[name=target]", str(rnd.id))

    # Meanwhile Bình moves the third stop up, with the keyboard.
    binh.locator(f'button[data-key="up-{third}"]').focus()
    binh.keyboard.press("Enter")
    expect(binh.locator("#planning-messages")).to_contain_text(
        f"Đã chuyển {desk['stops'][2].code} thành điểm thứ 2."
    )
    expect(binh.locator(f'button[data-key="up-{third}"]')).to_be_focused()  # the focus stays on it
    assert order_of(server, rnd.id) == [first, third, second]

    # An presses "Gán vào chuyến" on the page that still shows the old order: refused, and told.
    an.click("#assign-button")
    alert = an.locator("#planning-messages [role=alert]")
    expect(alert).to_contain_text(f"Chuyến #{rnd.id} vừa được người khác thay đổi")
    expect(alert).to_contain_text("Trần Thị Bình sắp lại thứ tự điểm dừng lúc")
    assert order_of(server, rnd.id) == [first, third, second]  # Bình's order stands

    # An's page now shows Bình's order, and still has An's two items ticked.
    stops = an.locator(f'.round-card[data-round-id="{rnd.id}"] ol.stops li')
    expect(stops.nth(1)).to_have_attribute("data-item-id", str(third))
    for item in desk["waiting"]:
        expect(an.locator(f'#pool-table tr[data-item-id="{item.id}"] input[type=checkbox]')).to_be_checked()

    # "Thử lại": the same change on the fresh version goes through; both changes are kept.
    an.click("#plan-retry")
    expect(an.locator("#planning-messages")).to_have_text(f"Đã gán 2 bưu gửi vào chuyến #{rnd.id}.")
    assert order_of(server, rnd.id) == [first, third, second, *(i.id for i in desk["waiting"])]
    with server.app.app_context():
        assert db.session.get(Round, rnd.id).version == 3


def test_a_supervisor_assigns_300_items_of_a_commune_in_one_go(server, desk):
    an, rnd = desk["an"], desk["round"]
    ids, _, _ = server.make.waiting_items(300, commune="Xã Mỹ Hòa Hưng")

    an.fill("#filter-commune", "my hoa hung")  # without diacritics
    an.click("#filter-apply")
    expect(an.locator("#pool-title")).to_have_text("Chờ phân công (300)")
    expect(an.locator("#pool-table tbody tr")).to_have_count(50)
    expect(an.locator("#pool-page")).to_contain_text("Trang 1/6")
    an.click("#select-all-matching")
    expect(an.locator("#selected-count")).to_have_text("Đã chọn tất cả 300 bưu gửi khớp bộ lọc")

    an.select_option("select[name=target]", str(rnd.id))
    an.click("#assign-button")
    expect(an.locator("#planning-messages")).to_have_text(
        f"Đã gán 300 bưu gửi vào chuyến #{rnd.id}.", timeout=30_000
    )
    expect(an.locator(f'.round-card[data-round-id="{rnd.id}"] ol.stops li')).to_have_count(303)
    expect(an.locator("#pool-title")).to_have_text("Chờ phân công (0)")
    assert sorted(order_of(server, rnd.id)[3:]) == sorted(ids)
    assert sorted(order_of(server, rnd.id)[:3]) == sorted(s.id for s in desk["stops"])
