"""The planning page refreshes itself like "Today": a colleague's change shows up without a reload,
and the supervisor's own ticks and focus stay where they were."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard_planning_together import desk  # noqa: F401 (the fixture)

pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


def test_a_colleagues_change_shows_up_and_the_focus_stays(server, desk):  # noqa: F811
    an, binh, rnd = desk["an"], desk["binh"], desk["round"]
    kept, moved = desk["waiting"]
    box = binh.locator(f'#pool-table tr[data-item-id="{kept.id}"] input[type=checkbox]')
    box.check()
    box.focus()

    an.locator(f'#pool-table tr[data-item-id="{moved.id}"] input[type=checkbox]').check()
    an.select_option("select[name=target]", str(rnd.id))
    an.click("#assign-button")
    expect(an.locator("#planning-messages")).to_have_text(f"Đã gán 1 bưu gửi vào chuyến #{rnd.id}.")

    # Bình's page, untouched: the new stop appears, the item leaves the backlog, and it is said.
    card = binh.locator(f'.round-card[data-round-id="{rnd.id}"]')
    expect(card.locator(f'li[data-item-id="{moved.id}"]')).to_be_visible(timeout=6_000)
    expect(binh.locator(f'#pool-table tr[data-item-id="{moved.id}"]')).to_have_count(0)
    expect(binh.locator("#announcer")).to_have_text(
        "Kế hoạch vừa được người khác thay đổi; trang đã cập nhật."
    )
    expect(box).to_be_checked()
    expect(box).to_be_focused()
    expect(binh.locator("#selected-count")).to_have_text("Đã chọn 1 bưu gửi")
