"""Planning a day of several rounds on the map, and reordering stops by dragging them.

The supervisor puts every round of the day on the planning map, one colour each (the text list under
it names each round with its colour and its stops in order); drags Lan's third stop onto her first,
and the order is saved with the round's version; a colleague reorders meanwhile, and the next drag
on the stale page is refused and said, nothing overwritten. The backlog filter's due dates are typed
as dd/mm/yyyy, as everywhere on the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.timeutil import local_today
from tests.browser.conftest import sign_in_to_dashboard
from tests.browser.test_dashboard_planning_together import order_of
from tests.kit.phone import Phone

pytestmark = pytest.mark.server_settings(
    DASHBOARD_POLL_SECONDS=15
)  # the slowest poll: the colleague acts before it


@pytest.fixture
def two_rounds(server, lan_and_minh):
    make = server.make
    lan, minh = lan_and_minh
    lans = [
        make.item(recipient_name=name, lat=10.01 + n / 200, lon=105.16 + n / 200)
        for n, name in enumerate(("Lê Văn An", "Phạm Thị Bé", "Huỳnh Văn Cường"))
    ]
    minhs = [
        make.item(recipient_name=name, lat=10.05, lon=105.10 + n / 200)
        for n, name in enumerate(("Mai", "Đào"))
    ]
    return {
        "lan_round": make.round(lan, items=lans),
        "minh_round": make.round(minh, items=minhs),
        "lans": lans,
        "minhs": minhs,
    }


def colleague_reorders(server, round_id: int, order: list[int]) -> None:
    """Trần Thị Bình, another supervisor, puts the round's stops in `order` through the API."""
    colleague = server.make.user("supervisor", full_name="Trần Thị Bình")
    client = server.app.test_client()
    headers = Phone(client, colleague.username).login().headers
    moved = client.put(f"/api/rounds/{round_id}/order", json={"item_ids": order}, headers=headers)
    assert moved.status_code == 200, moved.get_json()


def test_every_round_on_the_map_in_its_colour_and_a_stop_dragged_into_place(page, server, two_rounds):
    lan_round, minh_round, lans = two_rounds["lan_round"], two_rounds["minh_round"], two_rounds["lans"]
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_dashboard(page, server, server.make.user("supervisor"), "planning", "Lập kế hoạch chuyến phát")

    # Every round on the map: five numbered stops, each round in its own colour, listed by round.
    page.select_option("#plan-map-round", "all")
    expect(page.locator("#plan-map-round option[value=all]")).to_have_text(
        "Tất cả 2 chuyến (mỗi chuyến một màu)"
    )
    pins = page.locator("#plan-map .map-pin-n:not([data-backlog])")
    expect(pins).to_have_count(5)
    colours = page.eval_on_selector_all(
        "#plan-map .map-pin-n", "(ps) => ps.map((p) => [p.dataset.roundId, p.style.backgroundColor])"
    )
    by_round = {}
    for round_id, colour in colours:
        by_round.setdefault(round_id, set()).add(colour)
    assert set(by_round) == {str(lan_round.id), str(minh_round.id)}
    assert all(len(c) == 1 for c in by_round.values())  # one colour per round
    assert by_round[str(lan_round.id)] != by_round[str(minh_round.id)]  # and not the same one
    expect(page.locator(f'#plan-map-list h3[data-round-id="{lan_round.id}"]')).to_have_text(
        f"#{lan_round.id} Trần Thị Lan"
    )
    expect(page.locator(f"#plan-map-stops-{minh_round.id} li")).to_have_count(2)
    expect(page.locator(f"#plan-map-stops-{lan_round.id} li").first).to_contain_text(f"1. {lans[0].code}")

    # Cường's stop (third) dragged onto An's (first) takes its place; the map's list follows.
    card = page.locator(f'.round-card[data-round-id="{lan_round.id}"]')
    card.locator(f'li[data-item-id="{lans[2].id}"]').drag_to(card.locator(f'li[data-item-id="{lans[0].id}"]'))
    expect(page.locator("#planning-messages")).to_have_text(f"Đã chuyển {lans[2].code} thành điểm thứ 1.")
    assert order_of(server, lan_round.id) == [lans[2].id, lans[0].id, lans[1].id]
    expect(card.locator("ol.stops li").first).to_have_attribute("data-item-id", str(lans[2].id))
    expect(page.locator(f"#plan-map-stops-{lan_round.id} li").first).to_contain_text(f"1. {lans[2].code}")
    assert order_of(server, minh_round.id) == [i.id for i in two_rounds["minhs"]]  # the other round untouched

    # A colleague optimises Lan's round meanwhile; the next drag on this page is refused, and said.
    colleague_reorders(server, lan_round.id, [lans[1].id, lans[2].id, lans[0].id])
    card.locator(f'li[data-item-id="{lans[1].id}"]').drag_to(card.locator(f'li[data-item-id="{lans[2].id}"]'))
    alert = page.locator("#planning-messages [role=alert]")
    expect(alert).to_contain_text(f"Chuyến #{lan_round.id} vừa được người khác thay đổi")
    expect(alert).to_contain_text("Trần Thị Bình sắp lại thứ tự điểm dừng lúc")
    assert order_of(server, lan_round.id) == [lans[1].id, lans[2].id, lans[0].id]  # the colleague's stands
    expect(card.locator("ol.stops li").first).to_have_attribute("data-item-id", str(lans[1].id))
    assert errors == []


def test_the_backlogs_due_dates_are_typed_as_dd_mm_yyyy(page, server):
    make = server.make
    with server.app.app_context():
        today = local_today()
    soon = make.item(recipient_name="Hạn Gần", due_date=today + timedelta(days=2))
    make.item(recipient_name="Hạn Xa", due_date=today + timedelta(days=40))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_dashboard(page, server, make.user("supervisor"), "planning", "Lập kế hoạch chuyến phát")

    due_to = page.locator("#backlog-filters input[name=due_to]")
    expect(due_to).to_have_attribute("placeholder", "dd/mm/yyyy")
    due_to.fill((today + timedelta(days=7)).strftime("%d/%m/%Y"))
    page.click("#filter-apply")
    expect(page.locator("#pool-table tbody tr")).to_have_count(1)
    expect(page.locator("#pool-table tbody tr")).to_have_attribute("data-item-id", str(soon.id))
    expect(due_to).to_have_value((today + timedelta(days=7)).strftime("%d/%m/%Y"))  # shown as typed
    assert errors == []


def test_a_refusal_names_what_it_is_about_in_the_supervisors_words(page, server, two_rounds):
    """The problem's parameters in the words: the postman and the day of the round that exists."""
    with server.app.app_context():
        today = local_today()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_dashboard(page, server, server.make.user("supervisor"), "planning", "Lập kế hoạch chuyến phát")
    page.select_option("select[name=postman]", str(two_rounds["lan_round"].postman_id))
    page.get_by_role("button", name="Tạo chuyến").click()
    expect(page.locator("#planning-messages [role=alert]")).to_have_text(
        f"Trần Thị Lan đã có chuyến ngày {today:%d/%m/%Y}."
    )
    assert errors == []


def drag_pin(page, item_id: int, onto_item_id: int) -> None:
    """Drag one stop's numbered marker on the planning map and let it go on another's, as a mouse does."""
    page.locator("#plan-map").scroll_into_view_if_needed()
    start = page.locator(f'#plan-map .map-pin-n[data-item-id="{item_id}"]').bounding_box()
    end = page.locator(f'#plan-map .map-pin-n[data-item-id="{onto_item_id}"]').bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def test_a_stop_dragged_on_the_map_onto_another_takes_its_place_and_a_stale_map_is_told(
    page, server, two_rounds
):
    lan_round, lans = two_rounds["lan_round"], two_rounds["lans"]
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_dashboard(page, server, server.make.user("supervisor"), "planning", "Lập kế hoạch chuyến phát")
    page.select_option("#plan-map-round", str(lan_round.id))
    expect(page.locator("#plan-map .map-pin-n")).to_have_count(3)

    # Cường's marker (3) let go on An's (1): Cường is the first stop, saved with the round's version.
    drag_pin(page, lans[2].id, lans[0].id)
    expect(page.locator("#planning-messages")).to_have_text(f"Đã chuyển {lans[2].code} thành điểm thứ 1.")
    assert order_of(server, lan_round.id) == [lans[2].id, lans[0].id, lans[1].id]
    expect(page.locator(f'#plan-map .map-pin-n[data-item-id="{lans[2].id}"]')).to_have_text("1")
    expect(page.locator("#plan-map-stops li").first).to_contain_text(f"1. {lans[2].code}")

    # Let go on no marker: nothing is sent, the marker is back on its point.
    page.locator("#plan-map").scroll_into_view_if_needed()
    before = page.locator(f'#plan-map .map-pin-n[data-item-id="{lans[1].id}"]').bounding_box()
    box = page.locator("#plan-map").bounding_box()
    page.mouse.move(before["x"] + 12, before["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] - 20, steps=8)
    page.mouse.up()
    after = page.locator(f'#plan-map .map-pin-n[data-item-id="{lans[1].id}"]').bounding_box()
    assert abs(after["x"] - before["x"]) < 2 and abs(after["y"] - before["y"]) < 2
    assert order_of(server, lan_round.id) == [lans[2].id, lans[0].id, lans[1].id]

    # A colleague reorders meanwhile; the next drop on this map is refused with what changed, nothing lost.
    colleague_reorders(server, lan_round.id, [lans[1].id, lans[2].id, lans[0].id])
    drag_pin(page, lans[0].id, lans[2].id)
    alert = page.locator("#planning-messages [role=alert]")
    expect(alert).to_contain_text(f"Chuyến #{lan_round.id} vừa được người khác thay đổi")
    expect(alert).to_contain_text("Trần Thị Bình sắp lại thứ tự điểm dừng lúc")
    assert order_of(server, lan_round.id) == [lans[1].id, lans[2].id, lans[0].id]  # the colleague's stands
    expect(page.locator(f'#plan-map .map-pin-n[data-item-id="{lans[1].id}"]')).to_have_text("1")
    # The keyboard way is still there: the list's arrows move a stop.
    card = page.locator(f'.round-card[data-round-id="{lan_round.id}"]')
    expect(card.locator(f'li[data-item-id="{lans[0].id}"] button')).to_have_count(2)
    assert errors == []
